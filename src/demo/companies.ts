// Invented employers, grouped by sector, with what they do and how big they are (no real company is meant).
// A data table: its length is the number of employers.

import type { Company, Sector } from './types.js';

export const companies: readonly Company[] = [
  // tech
  {
    name: 'Quillstack',
    sector: 'tech',
    does: 'builds testing tools that help developers ship APIs with confidence',
    size: 140,
    founded: 2017,
  },
  {
    name: 'Lumenforge',
    sector: 'tech',
    does: 'makes analytics software for mid-size retailers',
    size: 420,
    founded: 2012,
  },
  {
    name: 'Corvane Systems',
    sector: 'tech',
    does: 'runs cloud infrastructure for regulated industries',
    size: 2300,
    founded: 2004,
  },
  {
    name: 'Tidewell Software',
    sector: 'tech',
    does: 'develops scheduling software used by clinics and salons',
    size: 260,
    founded: 2015,
  },
  {
    name: 'Fernhollow Labs',
    sector: 'tech',
    does: 'builds machine learning tools for document processing',
    size: 85,
    founded: 2020,
  },
  {
    name: 'Kestrelbyte',
    sector: 'tech',
    does: 'provides a developer platform for real-time messaging',
    size: 610,
    founded: 2013,
  },
  {
    name: 'Orbitale',
    sector: 'tech',
    does: 'makes a collaborative whiteboard used by remote teams',
    size: 350,
    founded: 2016,
  },
  {
    name: 'Pinecrest Digital',
    sector: 'tech',
    does: 'builds e-commerce storefronts for independent brands',
    size: 190,
    founded: 2014,
  },
  {
    name: 'Vantarra',
    sector: 'tech',
    does: 'runs a marketplace that connects freelancers with small businesses',
    size: 980,
    founded: 2011,
  },
  {
    name: 'Glimmerpath',
    sector: 'tech',
    does: 'develops navigation and mapping software for delivery fleets',
    size: 300,
    founded: 2018,
  },
  {
    name: 'Halvorsen Cloud',
    sector: 'tech',
    does: 'offers managed databases for growing software companies',
    size: 720,
    founded: 2010,
  },
  {
    name: 'Bramblecode',
    sector: 'tech',
    does: 'makes security scanning tools for open source dependencies',
    size: 120,
    founded: 2019,
  },
  {
    name: 'Sundial Metrics',
    sector: 'tech',
    does: 'builds product analytics for mobile apps',
    size: 230,
    founded: 2016,
  },
  {
    name: 'Northcairn Technologies',
    sector: 'tech',
    does: 'builds identity and access software for large enterprises',
    size: 5400,
    founded: 1999,
  },
  {
    name: 'Ripplewave',
    sector: 'tech',
    does: 'runs a video platform for online courses and creators',
    size: 410,
    founded: 2015,
  },
  {
    name: 'Ottergrid',
    sector: 'tech',
    does: 'makes energy monitoring software for commercial buildings',
    size: 160,
    founded: 2018,
  },
  // finance
  {
    name: 'Ledgerly',
    sector: 'finance',
    does: 'offers bookkeeping and payroll services to small businesses',
    size: 520,
    founded: 2013,
  },
  {
    name: 'Granite Harbor Bank',
    sector: 'finance',
    does: 'is a regional bank serving families and local businesses',
    size: 3800,
    founded: 1962,
  },
  {
    name: 'Copperline Capital',
    sector: 'finance',
    does: 'manages investment portfolios for pension funds',
    size: 310,
    founded: 1994,
  },
  {
    name: 'Brightmoor Insurance',
    sector: 'finance',
    does: 'sells home and auto insurance across the region',
    size: 2700,
    founded: 1978,
  },
  {
    name: 'Paywise',
    sector: 'finance',
    does: 'builds payment processing for independent restaurants',
    size: 450,
    founded: 2014,
  },
  {
    name: 'Hollis & Crane Advisors',
    sector: 'finance',
    does: 'provides audit, tax and advisory services',
    size: 1500,
    founded: 1988,
  },
  {
    name: 'Meridian Credit Union',
    sector: 'finance',
    does: 'is a member-owned credit union with branches in the area',
    size: 640,
    founded: 1951,
  },
  // health
  {
    name: 'Cedarpoint Health',
    sector: 'health',
    does: 'runs three hospitals and a network of outpatient clinics',
    size: 9200,
    founded: 1948,
  },
  {
    name: 'Harborview Family Clinics',
    sector: 'health',
    does: 'operates primary care clinics in underserved neighbourhoods',
    size: 780,
    founded: 1996,
  },
  {
    name: 'Silverbirch Medical Center',
    sector: 'health',
    does: 'is a teaching hospital known for cardiac and cancer care',
    size: 6100,
    founded: 1921,
  },
  {
    name: 'Willowmere Senior Living',
    sector: 'health',
    does: 'runs assisted living and memory care communities',
    size: 1300,
    founded: 2001,
  },
  {
    name: 'Apex Motion Therapy',
    sector: 'health',
    does: 'runs outpatient physical therapy clinics',
    size: 420,
    founded: 2009,
  },
  {
    name: 'Clearwell Pharmacy',
    sector: 'health',
    does: 'is an independent pharmacy chain with a focus on patient care',
    size: 860,
    founded: 1985,
  },
  {
    name: 'Northstar Urgent Care',
    sector: 'health',
    does: 'runs walk-in urgent care centres open seven days a week',
    size: 640,
    founded: 2008,
  },
  {
    name: "Lakeshore Children's Hospital",
    sector: 'health',
    does: 'is a pediatric hospital serving the wider region',
    size: 3400,
    founded: 1934,
  },
  {
    name: 'Vitalink Telehealth',
    sector: 'health',
    does: 'connects patients with clinicians by video',
    size: 270,
    founded: 2017,
  },
  // education
  {
    name: 'Maple Ridge School District',
    sector: 'education',
    does: 'serves 18,000 students across 24 schools',
    size: 2600,
    founded: 1955,
  },
  {
    name: 'Brookfield Academy',
    sector: 'education',
    does: 'is an independent day school for students aged 5 to 18',
    size: 210,
    founded: 1971,
  },
  {
    name: 'Learnwell',
    sector: 'education',
    does: 'builds online courses for professional certifications',
    size: 150,
    founded: 2016,
  },
  {
    name: 'Riverside Community College',
    sector: 'education',
    does: 'offers degrees and vocational programs to 12,000 students',
    size: 1100,
    founded: 1966,
  },
  {
    name: 'Bright Futures Charter Schools',
    sector: 'education',
    does: 'runs public charter schools focused on STEM',
    size: 480,
    founded: 2005,
  },
  // industrial
  {
    name: 'Ironbark Manufacturing',
    sector: 'industrial',
    does: 'makes hydraulic components for farm and construction equipment',
    size: 1900,
    founded: 1972,
  },
  {
    name: 'Voltaris Energy',
    sector: 'industrial',
    does: 'designs and installs solar and battery systems',
    size: 680,
    founded: 2010,
  },
  {
    name: 'Stonegate Builders',
    sector: 'industrial',
    does: 'builds schools, hospitals and public buildings',
    size: 1200,
    founded: 1983,
  },
  {
    name: 'Kinetic Aerostructures',
    sector: 'industrial',
    does: 'machines precision parts for aircraft makers',
    size: 950,
    founded: 1991,
  },
  {
    name: 'Bluewater Utilities',
    sector: 'industrial',
    does: 'delivers water and power to half a million homes',
    size: 2400,
    founded: 1939,
  },
  {
    name: 'Thornfield Engineering',
    sector: 'industrial',
    does: 'is a consulting firm for roads, bridges and water systems',
    size: 560,
    founded: 1977,
  },
  {
    name: 'Alder Robotics',
    sector: 'industrial',
    does: 'builds robotic arms for food packaging lines',
    size: 240,
    founded: 2015,
  },
  // retail
  {
    name: 'Goldleaf Market',
    sector: 'retail',
    does: 'runs neighbourhood grocery stores with a focus on local produce',
    size: 4200,
    founded: 1987,
  },
  {
    name: 'Trailhead Outfitters',
    sector: 'retail',
    does: 'sells outdoor gear online and in 60 stores',
    size: 2100,
    founded: 1993,
  },
  {
    name: 'Hearth & Home Goods',
    sector: 'retail',
    does: 'sells furniture and homewares across the country',
    size: 3600,
    founded: 1980,
  },
  {
    name: 'Pixel Alley',
    sector: 'retail',
    does: 'is an electronics retailer with stores and a busy web shop',
    size: 1700,
    founded: 2002,
  },
  {
    name: 'Bloom & Thread',
    sector: 'retail',
    does: 'designs and sells sustainable clothing',
    size: 380,
    founded: 2014,
  },
  {
    name: 'Corner Pantry',
    sector: 'retail',
    does: 'runs convenience stores open late in city centres',
    size: 2900,
    founded: 1998,
  },
  // logistics
  {
    name: 'Swiftmile Logistics',
    sector: 'logistics',
    does: 'moves freight for manufacturers and retailers',
    size: 3100,
    founded: 1990,
  },
  {
    name: 'Parcelwise',
    sector: 'logistics',
    does: 'delivers online orders the same day in major cities',
    size: 1400,
    founded: 2015,
  },
  {
    name: 'Redwood Freight Lines',
    sector: 'logistics',
    does: 'runs a fleet of 900 trucks across the continent',
    size: 2600,
    founded: 1974,
  },
  {
    name: 'Keystone Fulfillment',
    sector: 'logistics',
    does: 'runs warehouses that store and ship for online brands',
    size: 1800,
    founded: 2009,
  },
  {
    name: 'Portside Distribution',
    sector: 'logistics',
    does: 'operates distribution centres near the main ports',
    size: 1100,
    founded: 1986,
  },
  // hospitality
  {
    name: 'Saltgrass Hospitality Group',
    sector: 'hospitality',
    does: 'runs restaurants, a bakery and a catering business',
    size: 650,
    founded: 2003,
  },
  {
    name: 'The Linden Hotel',
    sector: 'hospitality',
    does: 'is a 300-room hotel with two restaurants and event spaces',
    size: 420,
    founded: 1928,
  },
  {
    name: 'Ember & Oak',
    sector: 'hospitality',
    does: 'is a group of wood-fired restaurants',
    size: 280,
    founded: 2012,
  },
  {
    name: 'Coastline Resorts',
    sector: 'hospitality',
    does: 'operates beach resorts and conference venues',
    size: 2200,
    founded: 1982,
  },
  // legal
  {
    name: 'Ashford Kemp LLP',
    sector: 'legal',
    does: 'is a business law firm advising companies of every size',
    size: 340,
    founded: 1958,
  },
  {
    name: 'Marlowe Vance & Partners',
    sector: 'legal',
    does: 'is a litigation firm known for commercial disputes',
    size: 190,
    founded: 1979,
  },
  {
    name: 'Civic Legal Aid',
    sector: 'legal',
    does: 'provides free legal help to low-income residents',
    size: 85,
    founded: 1969,
  },
  // media
  {
    name: 'Lanternfish Media',
    sector: 'media',
    does: 'publishes podcasts and newsletters about science',
    size: 120,
    founded: 2016,
  },
  {
    name: 'Crestview Publishing',
    sector: 'media',
    does: 'publishes textbooks and learning apps',
    size: 900,
    founded: 1947,
  },
  {
    name: 'Studio Kettle',
    sector: 'media',
    does: 'is a design and branding agency',
    size: 60,
    founded: 2011,
  },
];

const bySector = new Map<Sector, Company[]>();
for (const company of companies) {
  const list = bySector.get(company.sector) ?? [];
  list.push(company);
  bySector.set(company.sector, list);
}

/** The companies of the given sectors, in catalogue order (empty sectors contribute nothing). */
export function companiesInSectors(sectors: readonly Sector[]): Company[] {
  return companies.filter((company) => sectors.includes(company.sector));
}

export function companiesInSector(sector: Sector): readonly Company[] {
  return bySector.get(sector) ?? [];
}
