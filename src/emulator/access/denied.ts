import { ApiFault } from "../errors.js";

/**
 * 403 PERMISSION_DENIED as workspaces answer it. The `ErrorInfo` detail carries a `metadata`
 * object: the official JS SDK reads it from every detail and fails on one without it.
 */
export function permissionDenied(message: string): ApiFault {
  return new ApiFault(403, "PERMISSION_DENIED", message, [
    {
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "PERMISSION_DENIED",
      domain: "",
      metadata: {},
    },
  ]);
}
