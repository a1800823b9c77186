import { VERSION } from "../version.js";

const PART = /^[a-zA-Z0-9_.+-]+$/;

export function userAgent(authType: string, product?: { name: string; version: string }): string {
  const parts = [
    `brickml/${VERSION}`,
    `node/${process.versions.node}`,
    `os/${process.platform}`,
    `auth/${authType}`,
  ];
  if (product && PART.test(product.name) && PART.test(product.version))
    parts.push(`${product.name}/${product.version}`);
  return parts.join(" ");
}
