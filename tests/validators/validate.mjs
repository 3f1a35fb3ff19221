// Validate ArgoCD objects (a JSON array in the file named by argv[2]) against ArgoCD's CRD
// schemas, offline. Prints one line per invalid object and exits 1 if there is any.
import { readFileSync } from "node:fs";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";

const models = { Application, ApplicationSet, AppProject };
const objects = JSON.parse(readFileSync(process.argv[2], "utf8"));
let invalid = 0;
for (const object of objects) {
  const Model = models[object.kind];
  const label = `${object.kind} ${object.metadata?.name}`;
  if (!Model) {
    console.log(`${label}: no ArgoCD schema for this kind`);
    invalid += 1;
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    console.log(`${label}: ${error.message}`);
    invalid += 1;
  }
}
console.log(`validated ${objects.length} ArgoCD objects, ${invalid} invalid`);
process.exit(invalid ? 1 : 0);
