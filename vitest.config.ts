import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Examples import the package by name, as users do; in tests that is the source.
  resolve: {
    alias: [
      {
        find: /^brickml\/emulator$/,
        replacement: fileURLToPath(new URL("./src/emulator/index.ts", import.meta.url)),
      },
      { find: /^brickml$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
  },
});
