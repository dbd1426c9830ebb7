/** Jest on native ESM with ts-jest; see README "Toolchain pins". */
export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: { "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }] },
  testMatch: ["<rootDir>/test/**/*.test.ts", "<rootDir>/src/**/*.spec.ts"],
  globalSetup: "<rootDir>/test/global-setup.ts",
  testTimeout: 60000,
  maxWorkers: 2,
};
