import { isOperationFailed } from "../../core/errors.js";
import { clientFor, EXIT, parseCommand } from "../client.js";
import { type Command, numberOption, UsageError } from "../command.js";

const USAGE = `Usage: brickml runs wait <run-id> [options]

Waits until a job run ends, printing each state change with the run page URL.

Options:
  --timeout SECONDS   Give up after this long (default 1200)
  --profile P         Profile of ~/.databrickscfg to use
  --json              Print the final run as JSON
  -h, --help          Show this help

Exit codes: 0 the run succeeded, 1 it failed (its error is printed), 2 bad usage, 3 still running
at the timeout, 4 configuration or credentials.`;

export const runsWaitCommand: Command = {
  name: "runs wait",
  summary: "Wait for a job run to finish; exit code tells how it ended",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { timeout: { type: "string" } }, USAGE, io);
    if (!parsed) return EXIT.ok;
    const { values, positionals } = parsed;
    const runId = numberOption("run-id", positionals[0], { integer: true, above: 0 });
    if (runId === undefined || positionals.length !== 1) throw new UsageError("give exactly one run id");
    const timeout = (numberOption("timeout", values.timeout, { above: 0 }) ?? 1200) * 1000;
    const db = clientFor(io, values.profile);
    try {
      const run = await db.jobs.waitUntilRunTerminated(
        { run_id: runId },
        {
          timeout,
          onProgress: (e) =>
            values.json ||
            io.stdout.write(
              `run ${runId}: ${e.state}${e.message ? ` — ${e.message}` : ""}${e.url ? ` ${e.url}` : ""}\n`,
            ),
        },
      );
      io.stdout.write(values.json ? `${JSON.stringify(run, null, 2)}\n` : `run ${runId} succeeded\n`);
      return EXIT.ok;
    } catch (e) {
      if (!isOperationFailed(e)) throw e;
      const info = e.info as { failed_tasks?: Array<{ task_key?: string; error?: string }> };
      io.stderr.write(`run ${runId} failed: ${e.message}\n`);
      for (const t of info.failed_tasks ?? [])
        if (t.error) io.stderr.write(`  task ${t.task_key}: ${t.error}\n`);
      return EXIT.failed;
    }
  },
};
