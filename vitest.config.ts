import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Examples import the package by its name, as users do; here it resolves to the sources.
const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^brickml\/emulator$/, replacement: src("./src/emulator/index.ts") },
      { find: /^brickml$/, replacement: src("./src/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
  },
});
