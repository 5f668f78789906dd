// Validates Kubernetes objects against the Kubernetes OpenAPI schemas, offline: the npm
// package kubernetes-models (validators generated from the official OpenAPI spec) checks
// each object's types, required fields, enums and formats. Its validators accept unknown
// fields (the OpenAPI schemas do not forbid them; the API server drops them), so a typo
// such as `livenesProbe` would pass: the fields each type declares are read from the same
// package's type declarations (.d.ts, generated from the same spec) and any other field is
// an error, as `kubectl apply --validate=strict` makes it.
// usage: node k8s_validate.mjs NODE_MODULES_DIR OBJECTS.json
//   OBJECTS.json: [{"where": "deployment.yaml#0", "object": {...}}, ...]
// Prints "ok WHERE" or "FAIL WHERE: errors" per object; exit 1 when any failed.
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

const [npmDir, objectsFile] = process.argv.slice(2);

// The fields an interface of a .d.ts file declares ({name: type text}) and where its
// imported types live; null for a file without an interface (IntOrString, Quantity: leaves).
const declared = new Map();
function fieldsOf(dts) {
  if (declared.has(dts)) return declared.get(dts);
  let out = null;
  if (fs.existsSync(dts)) {
    const text = fs.readFileSync(dts, "utf8");
    const imports = {};
    for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
      imports[m[1]] = m[2].startsWith(".")
          ? path.resolve(path.dirname(dts), m[2].replace(/\.js$/, ".d.ts"))
          : path.join(npmDir, m[2] + ".d.ts");
    }
    const start = text.search(/^export interface \w+.*\{$/m);
    if (start >= 0) {
      out = {fields: {}, imports};
      let depth = 0;
      for (const line of text.slice(start).split("\n")) {
        if (depth === 1) {
          const m = line.match(/^\s+"([^"]+)"\??: (.*?);?$/);
          if (m) out.fields[m[1]] = m[2];
        }
        depth += (line.match(/\{/g) || []).length - (line.match(/\}/g) || []).length;
        if (depth === 0 && line.includes("}")) break;
      }
      if (/^export interface \w+ extends TypeMeta/m.test(text)) {
        out.fields.apiVersion = out.fields.apiVersion || "string";
        out.fields.kind = out.fields.kind || "string";
      }
    }
  }
  declared.set(dts, out);
  return out;
}

// Every field of `value` (of the type declared in `dts`) is declared there, recursively.
function unknownFields(value, dts, where, errors) {
  const decl = fieldsOf(dts);
  if (decl === null || value === null || typeof value !== "object" || Array.isArray(value)) {
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (!(key in decl.fields)) {
      errors.push(`${where}.${key}: unknown field`);
      continue;
    }
    const type = decl.fields[key];
    const item = type.match(/^Array<(\w+)>$/);
    const name = item ? item[1] : type;
    if (!(name in decl.imports)) continue;  // a primitive or a map
    const target = decl.imports[name];
    if (item && Array.isArray(v)) {
      v.forEach((x, i) => unknownFields(x, target, `${where}.${key}[${i}]`, errors));
    } else if (!item) {
      unknownFields(v, target, `${where}.${key}`, errors);
    }
  }
}
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
  const errors = [];
  try {
    new mod[object.kind](object).validate();
  } catch (e) {
    errors.push(e.message);
  }
  unknownFields(object, file.replace(/\.js$/, ".d.ts"), object.kind, errors);
  if (errors.length) {
    console.log(`FAIL ${where}: ${errors.join("; ")}`);
    failed++;
  } else {
    console.log(`ok ${where} (${object.apiVersion} ${object.kind})`);
  }
}
process.exit(failed ? 1 : 0);
