import { isNotFound } from "../../core/errors.js";
import { clientFor, EXIT, parseCommand } from "../client.js";
import { type Command, UsageError } from "../command.js";

const USAGE = `Usage: brickml endpoints status <name> [options]

Prints a serving endpoint's state, its served entities and their traffic.

Options:
  --profile P   Profile of ~/.databrickscfg to use
  --host URL    Workspace URL (default: DATABRICKS_HOST, then the profile's host)
  --json        Print the endpoint as JSON
  -h, --help    Show this help

Exit codes: 0 READY and not updating, 1 not serving as configured (not ready, update failed or
in progress), 2 bad usage, 4 configuration, credentials or an unreachable workspace, 5 no such
endpoint.`;

export const endpointsStatusCommand: Command = {
  name: "endpoints status",
  summary: "Show a serving endpoint's state; exit code 0 when it serves",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, {}, USAGE, io);
    if (!parsed) return EXIT.ok;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError("give exactly one endpoint name");
    const db = clientFor(io, values);
    const name = positionals[0]!;
    const e = await db.servingEndpoints.get({ name }).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    if (!e) {
      io.stderr.write(`serving endpoint ${name} does not exist in ${db.config.host}\n`);
      return EXIT.notFound;
    }
    const serving = e.state?.ready === "READY" && e.state?.config_update === "NOT_UPDATING";
    if (values.json) {
      io.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
      return serving ? EXIT.ok : EXIT.failed;
    }
    const routes = new Map(
      (e.config?.traffic_config?.routes ?? []).map((r) => [r.served_entity_name, r.traffic_percentage]),
    );
    const lines = [
      `${e.name}: ${e.state?.ready ?? "UNKNOWN"} / ${e.state?.config_update ?? "UNKNOWN"} (config version ${e.config?.config_version ?? "-"})`,
      ...(e.config?.served_entities ?? []).map(
        (s) =>
          `  ${s.name}: ${s.entity_name} v${s.entity_version} — ${s.state?.deployment ?? "UNKNOWN"}, ${routes.get(s.name) ?? 0}% of traffic` +
          (s.state?.deployment_state_message ? ` (${s.state.deployment_state_message})` : ""),
      ),
      ...(e.pending_config ? [`  pending config version ${e.pending_config.config_version}`] : []),
    ];
    io.stdout.write(`${lines.join("\n")}\n`);
    return serving ? EXIT.ok : EXIT.failed;
  },
};
