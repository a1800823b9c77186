# Databricks notebook source
# Loads the churn CSV from a Unity Catalog volume into the training table (replacing its rows).

# COMMAND ----------

import io

import pandas as pd

dbutils.widgets.text("csv_path", "/Volumes/main/ml/raw/churn.csv")
dbutils.widgets.text("training_table", "main.ml.churn_training")
text = dbutils.fs.head(dbutils.widgets.get("csv_path"), 5_000_000)
data = pd.read_csv(io.StringIO(text)).drop(columns=["customer_id"])
spark.createDataFrame(data).write.mode("overwrite").saveAsTable(dbutils.widgets.get("training_table"))
dbutils.notebook.exit(str(len(data)))
