import { cpSync } from "node:fs";
import { defineConfig } from "tsup";

const entry = {
  index: "src/index.ts",
  "emulator/index": "src/emulator/index.ts",
};

// No source maps: the JavaScript is not minified, so stack traces already point at readable code,
// and the maps were two thirds of the package.

export default defineConfig([
  {
    entry,
    format: ["esm"],
    dts: true,
    clean: true,
    target: "node20",
    splitting: true,
    // zod stays external: the declarations need its types, so it is installed anyway, and a second,
    // bundled copy would only add weight.
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
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
  },
]);
