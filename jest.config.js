/**
 * One Jest run for everything (`npm test`), in two projects: unit tests of pure logic, and
 * integration tests on the real embedded stack. Jest runs a project's globalSetup only when one of
 * its tests is selected, so `npx jest test/unit` needs no Temporal or FerretDB.
 */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };

module.exports = {
  testTimeout: 60000,
  maxWorkers: 2,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform, testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
  ],
};
