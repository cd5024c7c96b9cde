// sift's version, in one place: the CLI's --version and the HTTP service's OpenAPI document read it from
// here (a test checks that it equals package.json's).

export const SIFT_VERSION = '0.1.0';
