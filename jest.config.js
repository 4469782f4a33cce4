// One Jest run over every package (ESM: run with --experimental-vm-modules, see package.json).
// Type checking is `npm run typecheck`; ts-jest only transpiles here, which keeps the suite fast.
const interop = process.env.ENROLLGATE_TEST_KIND === 'interop';
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@enrollgate/([a-z0-9-]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
  },
  testMatch: interop ? ['**/*.interop.spec.ts'] : ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', ...(interop ? [] : ['\\.interop\\.spec\\.ts$'])],
  testTimeout: 60000,
  maxWorkers: 2,
};
