export * from './codes.js';
export * from './clinfer-error.js';
export * from './http-status.js';
