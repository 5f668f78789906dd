// Validates Kubernetes objects against the Kubernetes OpenAPI schemas, offline: the npm
// package kubernetes-models (validators generated from the official OpenAPI spec) checks
// each object's types, required fields, enums and formats.
// usage: node k8s_validate.mjs NODE_MODULES_DIR OBJECTS.json
//   OBJECTS.json: [{"where": "deployment.yaml#0", "object": {...}}, ...]
// Prints "ok WHERE" or "FAIL WHERE: errors" per object; exit 1 when any failed.
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

const [npmDir, objectsFile] = process.argv.slice(2);
const root = path.join(npmDir, "kubernetes-models");
let failed = 0;
for (const {where, object} of JSON.parse(fs.readFileSync(objectsFile, "utf8"))) {
  const [group, version] = object.apiVersion.includes("/")
      ? object.apiVersion.split("/") : [null, object.apiVersion];
  const dir = group === null ? version : path.join(group, version);
  const file = path.join(root, dir, object.kind + ".js");
  if (!fs.existsSync(file)) {
    console.log(`FAIL ${where}: no schema for ${object.apiVersion} ${object.kind}`);
    failed++;
    continue;
  }
  const mod = await import(url.pathToFileURL(file).href);
  try {
    new mod[object.kind](object).validate();
    console.log(`ok ${where} (${object.apiVersion} ${object.kind})`);
  } catch (e) {
    console.log(`FAIL ${where}: ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
