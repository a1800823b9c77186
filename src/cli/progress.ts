import type { StepEvent } from "../workflows/progress.js";

/**
 * Renders life-cycle progress: in a terminal the current state rewrites one line; otherwise (logs,
 * CI) every event is one plain line.
 */
export function progressPrinter(out: NodeJS.WritableStream): (e: StepEvent) => void {
  const tty = (out as NodeJS.WriteStream).isTTY === true;
  let open = false;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  return (e) => {
    const detail = [e.state, e.message].filter(Boolean).join(" — ");
    if (e.status === "progress") {
      const line = `  ${e.step} ${e.resource}: ${detail} [${seconds(e.elapsedMs)}]${e.url && !tty ? ` ${e.url}` : ""}`;
      if (tty) {
        out.write(`\r\x1b[2K${line}`);
        open = true;
      } else out.write(`${line}\n`);
      return;
    }
    if (open) {
      out.write("\r\x1b[2K");
      open = false;
    }
    const mark = { started: "→", done: "✓", skipped: "·" }[e.status];
    const tail =
      e.status === "done"
        ? ` [${seconds(e.elapsedMs)}]`
        : e.status === "skipped"
          ? `: ${e.message ?? "up to date"}`
          : "";
    out.write(`${mark} ${e.step} ${e.resource}${tail}\n`);
  };
}
