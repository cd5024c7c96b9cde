// The HTTP service's public face: start it, and resolve its settings.
export { type ConfigSources, resolveServeConfig, SERVE_OPTIONS, type ServeConfig } from './config.js';
export { type DemoCollectionProvider, type RunningServer, type StartOptions, startServer } from './server.js';
