# Databricks notebook source
# Trains a churn classifier on the training table and logs it to MLflow with a signature, so it can
# be registered in Unity Catalog. An ordinary notebook: on Databricks and in the brickml emulator's
# local mode it runs as written.

# COMMAND ----------

dbutils.widgets.text("max_iter", "200")
dbutils.widgets.text("C", "1.0")
dbutils.widgets.text("training_table", "main.ml.churn_training")
max_iter = int(dbutils.widgets.get("max_iter"))
C = float(dbutils.widgets.get("C"))

# COMMAND ----------

import mlflow
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

features = ["tenure_months", "monthly_charges", "support_calls"]
df = spark.table(dbutils.widgets.get("training_table")).toPandas()
X_train, X_test, y_train, y_test = train_test_split(df[features], df["churned"], test_size=0.2, random_state=7)

mlflow.set_experiment("/Shared/brickml/churn")
with mlflow.start_run() as run:
    model = LogisticRegression(max_iter=max_iter, C=C).fit(X_train, y_train)
    proba = model.predict_proba(X_test)[:, 1]
    mlflow.log_params({"max_iter": max_iter, "C": C})
    mlflow.log_metrics({"accuracy": accuracy_score(y_test, proba > 0.5), "roc_auc": roc_auc_score(y_test, proba)})
    mlflow.sklearn.log_model(model, "model", signature=infer_signature(X_test, model.predict(X_test)))

dbutils.notebook.exit(run.info.run_id)
