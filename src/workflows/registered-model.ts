import type { Databricks } from "../client.js";
import { ValidationError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { ModelVersion } from "./model-version.js";

/** A Unity Catalog registered model, by full name `catalog.schema.model`. */
export class RegisteredModel {
  readonly catalog: string;
  readonly schema: string;
  readonly name: string;

  constructor(
    private readonly db: Databricks,
    readonly fullName: string,
  ) {
    const parts = fullName.split(".");
    if (parts.length !== 3 || parts.some((p) => !p)) {
      throw new ValidationError("model name", [
        { path: "fullName", message: "must be catalog.schema.model" },
      ]);
    }
    [this.catalog, this.schema, this.name] = parts as [string, string, string];
  }

  /** The model's details; creates the model when it does not exist yet. */
  async getOrCreate(options?: RequestOptions) {
    const res = await this.db.registeredModels.getOrCreate(
      { catalog_name: this.catalog, schema_name: this.schema, name: this.name },
      options,
    );
    return res.registered_model;
  }

  async get(options?: RequestOptions) {
    return this.db.registeredModels.get({ full_name: this.fullName, include_aliases: true }, options);
  }

  async version(version: number, options?: RequestOptions): Promise<ModelVersion> {
    const info = await this.db.modelVersions.get({ full_name: this.fullName, version }, options);
    return new ModelVersion(this.db, this.fullName, Number(info.version), info);
  }

  /** The version an alias (e.g. `champion`) points at. */
  async alias(alias: string, options?: RequestOptions): Promise<ModelVersion> {
    const info = await this.db.modelVersions.getByAlias({ full_name: this.fullName, alias }, options);
    return new ModelVersion(this.db, this.fullName, Number(info.version), info);
  }

  /** Every version, newest pages first as the server lists them. */
  async *versions(options?: RequestOptions): AsyncGenerator<ModelVersion> {
    for await (const info of this.db.modelVersions.list({ full_name: this.fullName }, options)) {
      yield new ModelVersion(this.db, this.fullName, Number(info.version), info);
    }
  }
}
