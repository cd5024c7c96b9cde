// Real cities (with region, country and a pay-level factor) and remote hiring zones that postings are placed in.
//
// costPercent is a rough pay level in USD against an average-cost US city; it only needs to be plausible,
// so that a query for high pay favours San Francisco over Bangalore the way real listings do.

import type { Location } from './types.js';

/** The city name used by remote-only postings; their country is the hiring zone. */
export const remoteCity = 'Remote';

export const cities: readonly Location[] = [
  { city: 'New York', region: 'New York', country: 'United States', costPercent: 125, weight: 9 },
  { city: 'San Francisco', region: 'California', country: 'United States', costPercent: 135, weight: 6 },
  { city: 'Seattle', region: 'Washington', country: 'United States', costPercent: 120, weight: 5 },
  { city: 'Austin', region: 'Texas', country: 'United States', costPercent: 100, weight: 4 },
  { city: 'Chicago', region: 'Illinois', country: 'United States', costPercent: 100, weight: 6 },
  { city: 'Boston', region: 'Massachusetts', country: 'United States', costPercent: 115, weight: 4 },
  { city: 'Denver', region: 'Colorado', country: 'United States', costPercent: 100, weight: 3 },
  { city: 'Atlanta', region: 'Georgia', country: 'United States', costPercent: 92, weight: 4 },
  { city: 'Los Angeles', region: 'California', country: 'United States', costPercent: 115, weight: 6 },
  { city: 'Miami', region: 'Florida', country: 'United States', costPercent: 95, weight: 3 },
  { city: 'Dallas', region: 'Texas', country: 'United States', costPercent: 95, weight: 4 },
  { city: 'Phoenix', region: 'Arizona', country: 'United States', costPercent: 90, weight: 3 },
  { city: 'Minneapolis', region: 'Minnesota', country: 'United States', costPercent: 95, weight: 2 },
  { city: 'Pittsburgh', region: 'Pennsylvania', country: 'United States', costPercent: 85, weight: 2 },
  { city: 'Raleigh', region: 'North Carolina', country: 'United States', costPercent: 90, weight: 2 },
  { city: 'Portland', region: 'Oregon', country: 'United States', costPercent: 100, weight: 2 },
  { city: 'Nashville', region: 'Tennessee', country: 'United States', costPercent: 88, weight: 2 },
  { city: 'Salt Lake City', region: 'Utah', country: 'United States', costPercent: 90, weight: 2 },
  { city: 'Detroit', region: 'Michigan', country: 'United States', costPercent: 85, weight: 2 },
  { city: 'Columbus', region: 'Ohio', country: 'United States', costPercent: 85, weight: 2 },
  { city: 'San Diego', region: 'California', country: 'United States', costPercent: 110, weight: 2 },
  { city: 'Philadelphia', region: 'Pennsylvania', country: 'United States', costPercent: 95, weight: 3 },
  {
    city: 'Washington',
    region: 'District of Columbia',
    country: 'United States',
    costPercent: 110,
    weight: 3,
  },
  { city: 'Toronto', region: 'Ontario', country: 'Canada', costPercent: 78, weight: 5 },
  { city: 'Vancouver', region: 'British Columbia', country: 'Canada', costPercent: 80, weight: 3 },
  { city: 'Montreal', region: 'Quebec', country: 'Canada', costPercent: 70, weight: 3 },
  { city: 'Calgary', region: 'Alberta', country: 'Canada', costPercent: 75, weight: 2 },
  { city: 'Ottawa', region: 'Ontario', country: 'Canada', costPercent: 72, weight: 2 },
  { city: 'London', region: 'England', country: 'United Kingdom', costPercent: 85, weight: 6 },
  { city: 'Manchester', region: 'England', country: 'United Kingdom', costPercent: 65, weight: 2 },
  { city: 'Edinburgh', region: 'Scotland', country: 'United Kingdom', costPercent: 65, weight: 2 },
  { city: 'Dublin', region: 'Leinster', country: 'Ireland', costPercent: 80, weight: 3 },
  { city: 'Berlin', region: 'Berlin', country: 'Germany', costPercent: 70, weight: 4 },
  { city: 'Munich', region: 'Bavaria', country: 'Germany', costPercent: 78, weight: 3 },
  { city: 'Hamburg', region: 'Hamburg', country: 'Germany', costPercent: 70, weight: 2 },
  { city: 'Amsterdam', region: 'North Holland', country: 'Netherlands', costPercent: 75, weight: 3 },
  { city: 'Paris', region: 'Ile-de-France', country: 'France', costPercent: 70, weight: 4 },
  { city: 'Madrid', region: 'Community of Madrid', country: 'Spain', costPercent: 50, weight: 2 },
  { city: 'Barcelona', region: 'Catalonia', country: 'Spain', costPercent: 50, weight: 2 },
  { city: 'Stockholm', region: 'Stockholm County', country: 'Sweden', costPercent: 68, weight: 2 },
  { city: 'Zurich', region: 'Zurich', country: 'Switzerland', costPercent: 120, weight: 2 },
  { city: 'Warsaw', region: 'Masovia', country: 'Poland', costPercent: 40, weight: 2 },
  { city: 'Singapore', region: 'Singapore', country: 'Singapore', costPercent: 80, weight: 3 },
  { city: 'Bangalore', region: 'Karnataka', country: 'India', costPercent: 25, weight: 4 },
  { city: 'Sydney', region: 'New South Wales', country: 'Australia', costPercent: 80, weight: 3 },
  { city: 'Melbourne', region: 'Victoria', country: 'Australia', costPercent: 75, weight: 2 },
  { city: 'Tokyo', region: 'Tokyo', country: 'Japan', costPercent: 60, weight: 2 },
  { city: 'Sao Paulo', region: 'Sao Paulo', country: 'Brazil', costPercent: 30, weight: 2 },
  { city: 'Mexico City', region: 'Mexico City', country: 'Mexico', costPercent: 30, weight: 2 },
  { city: 'Cape Town', region: 'Western Cape', country: 'South Africa', costPercent: 30, weight: 1 },
];

/** Remote-only hiring zones: the posting names no city, only the country it hires in. */
export const remoteZones: readonly Location[] = [
  { city: remoteCity, region: '', country: 'United States', costPercent: 95, weight: 6 },
  { city: remoteCity, region: '', country: 'Canada', costPercent: 75, weight: 2 },
  { city: remoteCity, region: '', country: 'United Kingdom', costPercent: 80, weight: 2 },
  { city: remoteCity, region: '', country: 'Germany', costPercent: 70, weight: 1 },
];

export const cityWeights: readonly number[] = cities.map((place) => place.weight);
export const remoteZoneWeights: readonly number[] = remoteZones.map((place) => place.weight);

// In these countries a reader expects "City, State"; elsewhere "City, Country" reads naturally.
const regionFirst = new Set(['United States', 'Canada', 'Australia']);

// Country names that read with "the" in running text ("in the United States").
const withThe = new Set(['United States', 'United Kingdom', 'Netherlands']);

/** A country as it reads after "in": "the United States", "Germany". */
export function countryName(country: string): string {
  return withThe.has(country) ? `the ${country}` : country;
}

/** How a posting names its place: "Austin, Texas", "Berlin, Germany", "Singapore", "remote (Canada)". */
export function placeName(place: Location): string {
  if (place.city === remoteCity) return `remote (${place.country})`;
  if (place.city === place.country) return place.city;
  return `${place.city}, ${regionFirst.has(place.country) ? place.region : place.country}`;
}
