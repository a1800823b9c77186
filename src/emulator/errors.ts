/** An error the emulated server answers with, in the real `{error_code, message}` shape. */
export class ApiFault extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return {
      error_code: this.errorCode,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export const invalidParameter = (message: string) => new ApiFault(400, "INVALID_PARAMETER_VALUE", message);
export const notFound = (message: string) => new ApiFault(404, "RESOURCE_DOES_NOT_EXIST", message);
export const alreadyExists = (message: string) => new ApiFault(409, "RESOURCE_ALREADY_EXISTS", message);
export const invalidState = (message: string) => new ApiFault(400, "INVALID_STATE", message);
export const badRequest = (message: string) => new ApiFault(400, "BAD_REQUEST", message);

/** Throws INVALID_PARAMETER_VALUE unless every named field is present. */
export function requireFields(body: Record<string, unknown> | undefined, ...fields: string[]): void {
  for (const f of fields) {
    const v = body?.[f];
    if (v === undefined || v === null || v === "") throw invalidParameter(`Missing required field: ${f}`);
  }
}
