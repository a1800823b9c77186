import { defineConfig } from "tsup";

const entry = {
  index: "src/index.ts",
  "emulator/index": "src/emulator/index.ts",
};

export default defineConfig([
  {
    entry,
    format: ["esm"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    splitting: true,
  },
  {
    entry,
    format: ["cjs"],
    dts: true,
    sourcemap: true,
    target: "node20",
    // p-retry ships as ESM only; the CommonJS build carries its own copy so `require("brickml")`
    // works on every supported Node.js version.
    noExternal: ["p-retry", "is-network-error"],
    // import.meta.url (used to require axios lazily) becomes the file's own URL.
    shims: true,
  },
  {
    entry: { "cli/index": "src/cli/index.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
  },
]);
