/**
 * The production shape (test/production/): a real Temporal server on PostgreSQL, FerretDB, the API
 * and workers as separate processes. Not part of `npm test` (it builds the server's tools and needs
 * PostgreSQL); CI's long phase runs it: `npx jest -c jest.production.config.js`.
 */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };

module.exports = {
  testTimeout: 600000,
  maxWorkers: 1,
  projects: [{ displayName: 'production', testEnvironment: 'node', transform, testMatch: ['<rootDir>/test/production/**/*.test.ts'] }],
};
