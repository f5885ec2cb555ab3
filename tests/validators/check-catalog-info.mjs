// Validates Backstage catalog files the way the Backstage catalog does when it ingests them: the
// default entity policies (namespace, field formats, no foreign root fields, envelope schema),
// then the kind's own validator (Component, API, System, ...).
//
// usage: node check-catalog-info.mjs FILE...   exit 0 when every entity of every file is valid.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import {
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from "@backstage/catalog-model";

const policy = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);

const kindValidators = [
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
];

async function checkEntity(entity) {
  const enforced = await policy.enforce(entity);
  if (!enforced) {
    throw new Error("rejected by the entity policies");
  }
  for (const validator of kindValidators) {
    // check() is false for another kind, true when valid, and throws when invalid.
    if (await validator.check(enforced)) {
      return;
    }
  }
  throw new Error(`no validator accepts apiVersion ${entity.apiVersion} kind ${entity.kind}`);
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node check-catalog-info.mjs FILE...");
  process.exit(2);
}

let failures = 0;
let entities = 0;
for (const file of files) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [index, doc] of docs.entries()) {
    const where = `${file} (document ${index + 1})`;
    if (doc.errors.length > 0) {
      failures += 1;
      console.error(`${where}: YAML error: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const entity = doc.toJS();
    if (entity === null || entity === undefined) {
      continue;
    }
    entities += 1;
    try {
      await checkEntity(entity);
      console.log(`${where}: ${entity.kind} ${entity.metadata?.name}: valid`);
    } catch (e) {
      failures += 1;
      console.error(`${where}: ${entity.kind} ${entity.metadata?.name}: ${e.message}`);
    }
  }
}
if (entities === 0) {
  console.error("no entity found");
  process.exit(1);
}
process.exit(failures === 0 ? 0 : 1);
