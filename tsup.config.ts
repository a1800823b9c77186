import { cpSync } from "node:fs";
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
    // zod's ES modules are some 200 files; bundled (and tree-shaken) they load in a fraction of the
    // time. zod stays a dependency for the schema types in the declarations.
    noExternal: ["zod"],
    // The emulator's local mode runs this Python runtime; it ships next to the bundles.
    onSuccess: async () => {
      cpSync("src/emulator/local/python", "dist/brickml-python", {
        recursive: true,
        filter: (src) => !src.includes("__pycache__"),
      });
    },
  },
  {
    entry,
    format: ["cjs"],
    dts: true,
    sourcemap: true,
    target: "node20",
    // p-retry ships as ESM only; the CommonJS build carries its own copy so `require("brickml")`
    // works on every supported Node.js version. zod: as above.
    noExternal: ["p-retry", "is-network-error", "zod"],
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
