import { isNotFound, isOperationFailed, isWaitTimeout } from "../../core/errors.js";
import { clientFor, EXIT, parseCommand } from "../client.js";
import { type Command, numberOption, positiveInteger, UsageError } from "../command.js";

const USAGE = `Usage: brickml runs wait <run-id> [options]

Waits until a job run ends, printing each state change with the run page URL.

Options:
  --timeout SECONDS   Give up after this long (default 1200)
  --profile P         Profile of ~/.databrickscfg to use
  --host URL          Workspace URL (default: DATABRICKS_HOST, then the profile's host)
  --json              Print the final run as JSON
  -h, --help          Show this help

Exit codes: 0 the run succeeded, 1 it failed (its error is printed), 2 bad usage, 3 still running
at the timeout, 4 configuration, credentials or an unreachable workspace, 5 no such run.`;

export const runsWaitCommand: Command = {
  name: "runs wait",
  summary: "Wait for a job run to finish; exit code tells how it ended",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { timeout: { type: "string" } }, USAGE, io);
    if (!parsed) return EXIT.ok;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError("give exactly one run id");
    const runId = positiveInteger("run id", positionals[0]!);
    const seconds = numberOption("timeout", values.timeout, { above: 0 }) ?? 1200;
    const db = clientFor(io, values);
    try {
      const run = await db.jobs.waitUntilRunTerminated(
        { run_id: runId },
        {
          timeout: seconds * 1000,
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
      if (isNotFound(e)) {
        io.stderr.write(`run ${runId} does not exist in ${db.config.host}\n`);
        return EXIT.notFound;
      }
      if (isWaitTimeout(e)) {
        const state = (e.lastState as { state?: { life_cycle_state?: string } } | undefined)?.state;
        io.stderr.write(
          `run ${runId} is still ${state?.life_cycle_state ?? "running"} after ${seconds} s; it may still finish. ` +
            `Wait longer with --timeout SECONDS, e.g. \`brickml runs wait ${runId} --timeout ${Math.max(seconds * 2, 1200)}\`\n`,
        );
        return EXIT.timeout;
      }
      if (!isOperationFailed(e)) throw e;
      const info = e.info as { failed_tasks?: Array<{ task_key?: string; error?: string }> };
      io.stderr.write(`run ${runId} failed: ${e.message}\n`);
      for (const t of info.failed_tasks ?? [])
        if (t.error) io.stderr.write(`  task ${t.task_key}: ${t.error}\n`);
      return EXIT.failed;
    }
  },
};
