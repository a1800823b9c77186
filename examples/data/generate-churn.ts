/**
 * Writes examples/data/churn.csv: 3,000 synthetic telecom customers, the same bytes on every run
 * (seeded generator, fixed formatting). Run it with `npx tsx examples/data/generate-churn.ts`.
 *
 * Churn follows a logistic model — short tenure, high charges and many support calls make a
 * customer likelier to leave — with Bernoulli noise, so no model scores perfectly and models with
 * different regularisation score differently.
 */
import { writeFileSync } from "node:fs";

const ROWS = 3000;

/** mulberry32: a small, well-distributed 32-bit generator. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function churnCsv(rows = ROWS, seed = 20240601): string {
  const random = seeded(seed);
  const lines = ["customer_id,tenure_months,monthly_charges,support_calls,churned"];
  for (let i = 0; i < rows; i++) {
    const tenure = Math.floor(random() * 72);
    const charges = Math.round((20 + random() * 100) * 100) / 100;
    const calls = Math.min(8, Math.floor(-Math.log(1 - random()) * 1.5));
    const z = 0.4 - 0.055 * tenure + 0.022 * charges + 0.5 * calls - 1.6;
    const churned = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    lines.push(`C${String(i + 1).padStart(5, "0")},${tenure},${charges.toFixed(2)},${calls},${churned}`);
  }
  return `${lines.join("\n")}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = new URL("./churn.csv", import.meta.url);
  writeFileSync(file, churnCsv());
  console.log(`wrote ${file.pathname}`);
}
