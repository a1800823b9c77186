/** Runtimes and node types the emulated workspace offers (`clusters/spark-versions`, `list-node-types`). */

const RUNTIMES: Array<[string, string, string]> = [
  ["16.4", "3.5.2", "LTS"],
  ["15.4", "3.5.0", "LTS"],
  ["14.3", "3.5.0", "LTS"],
  ["13.3", "3.4.1", "LTS"],
];

export const SPARK_VERSIONS: Array<{ key: string; name: string }> = RUNTIMES.flatMap(([v, spark, lts]) => [
  { key: `${v}.x-scala2.12`, name: `${v} ${lts} (includes Apache Spark ${spark}, Scala 2.12)` },
  { key: `${v}.x-cpu-ml-scala2.12`, name: `${v} ${lts} ML (includes Apache Spark ${spark}, Scala 2.12)` },
  {
    key: `${v}.x-gpu-ml-scala2.12`,
    name: `${v} ${lts} ML (includes Apache Spark ${spark}, GPU, Scala 2.12)`,
  },
  { key: `${v}.x-photon-scala2.12`, name: `${v} ${lts} Photon (includes Apache Spark ${spark}, Scala 2.12)` },
]);

export interface NodeTypeInfo {
  node_type_id: string;
  memory_mb: number;
  num_cores: number;
  num_gpus: number;
  description: string;
  instance_type_id: string;
  category: string;
  is_deprecated: boolean;
  photon_worker_capable: boolean;
  photon_driver_capable: boolean;
}

const node = (id: string, memoryGb: number, cores: number, category: string, gpus = 0): NodeTypeInfo => ({
  node_type_id: id,
  memory_mb: memoryGb * 1024,
  num_cores: cores,
  num_gpus: gpus,
  description: id,
  instance_type_id: id,
  category,
  is_deprecated: false,
  photon_worker_capable: gpus === 0,
  photon_driver_capable: gpus === 0,
});

export const NODE_TYPES: NodeTypeInfo[] = [
  node("m5d.large", 8, 2, "General Purpose"),
  node("m5d.xlarge", 16, 4, "General Purpose"),
  node("i3.xlarge", 30.5, 4, "Storage Optimized"),
  node("i3.2xlarge", 61, 8, "Storage Optimized"),
  node("r5d.xlarge", 32, 4, "Memory Optimized"),
  node("g4dn.xlarge", 16, 4, "GPU Accelerated", 1),
  node("Standard_DS3_v2", 14, 4, "General Purpose"),
  node("Standard_D3_v2", 14, 4, "General Purpose"),
  node("n2-standard-4", 16, 4, "General Purpose"),
];

/** Size of an unknown node type (clusters may name any type, as pools and older types exist). */
export function nodeType(id: unknown): NodeTypeInfo {
  return (
    NODE_TYPES.find((n) => n.node_type_id === id) ?? node(String(id ?? "unknown"), 16, 4, "General Purpose")
  );
}
