/**
 * One Jest run for everything (`npm test`), in three projects: unit tests of pure logic, workflow
 * tests on Temporal's time-skipping test server with mocked activities, and integration tests on
 * the real embedded stack. Jest runs a project's globalSetup only when one of its tests is
 * selected, so `npx jest test/unit` needs no Temporal or FerretDB, and `npx jest test/workflows`
 * only the (Java) test server.
 */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };

module.exports = {
  testTimeout: 60000,
  maxWorkers: 2,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform, testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      displayName: 'workflows',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/workflows/**/*.test.ts'],
      globalSetup: '<rootDir>/test/helpers/workflows-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/workflows-teardown.ts',
    },
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
