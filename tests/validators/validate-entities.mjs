// Validate Backstage catalog entities (in the file named by argv[2]: a JSON array, or an object
// of named arrays, each validated the same way, its lines starting with its name) with
// Backstage's own validators: the catalog's entity policies (envelope, namespace, field
// formats, no foreign root fields, schema) and each kind's validator; Template entities with
// the scaffolder's. Prints one line per invalid entity and exits 1 if there is any.
import { readFileSync } from "node:fs";
import {
  DefaultNamespaceEntityPolicy, EntityPolicies, FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy, SchemaValidEntityPolicy,
  apiEntityV1alpha1Validator, componentEntityV1alpha1Validator, domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator, locationEntityV1alpha1Validator, resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator, userEntityV1alpha1Validator,
} from "@backstage/catalog-model";
import { templateEntityV1beta3Validator } from "@backstage/plugin-scaffolder-common";

const policy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(), new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(), new FieldFormatEntityPolicy(),
]);
const kindValidators = [
  apiEntityV1alpha1Validator, componentEntityV1alpha1Validator, domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator, locationEntityV1alpha1Validator, resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator, userEntityV1alpha1Validator, templateEntityV1beta3Validator,
];

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const groups = Array.isArray(input) ? { "": input } : input;
const entities = Object.entries(groups).flatMap(
  ([group, members]) => members.map((entity) => [group ? `${group}: ` : "", entity]));
let invalid = 0;
for (const [group, entity] of entities) {
  const label = `${group}${entity.kind} ${entity.metadata?.name}`;
  try {
    const accepted = await policy.enforce(structuredClone(entity));
    let known = false;
    for (const validator of kindValidators) {
      known = (await validator.check(accepted)) || known;
    }
    if (!known) throw new Error(`no validator accepts ${entity.apiVersion} ${entity.kind}`);
  } catch (error) {
    console.log(`${label}: ${error.message}`);
    invalid += 1;
  }
}
console.log(`validated ${entities.length} entities, ${invalid} invalid`);
process.exit(invalid ? 1 : 0);
