/** Source of the notebook `ModelVersion.batchScore` runs: a Spark UDF over the model, written to a table. */
export function batchScoringSource(): string {
  return `# Databricks notebook source
# Scores a table with a registered model on the cluster's Spark workers (uploaded by brickml).
import mlflow
from pyspark.sql.functions import struct

dbutils.widgets.text("model_uri", "")
dbutils.widgets.text("input_table", "")
dbutils.widgets.text("output_table", "")
dbutils.widgets.text("result_column", "prediction")
model_uri = dbutils.widgets.get("model_uri")
result_column = dbutils.widgets.get("result_column")

mlflow.set_registry_uri("databricks-uc")
predict = mlflow.pyfunc.spark_udf(spark, model_uri)
df = spark.table(dbutils.widgets.get("input_table"))
scored = df.withColumn(result_column, predict(struct(*df.columns)))
scored.write.mode("overwrite").saveAsTable(dbutils.widgets.get("output_table"))
dbutils.notebook.exit(str(scored.count()))
`;
}
