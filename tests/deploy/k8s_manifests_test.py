#!/usr/bin/python3
"""The Kubernetes manifests of deploy/kubernetes, checked offline (no cluster):

1. Every object validates against the Kubernetes OpenAPI schemas (npm kubernetes-models,
   k8s_validate.mjs), unknown fields included; deliberately broken copies of the
   Deployment (a wrong type, a misspelt field) do not, so the validator really runs.
2. What docs/deploy.md promises of them: the Deployment's startup / liveness / readiness
   probes use the KServe v2 health endpoints on the named container port; memory request
   equals the limit; Prometheus scrape annotations name the serving port; the models come
   from a read-only volume and serve.yaml from the ConfigMap; the Service, the
   PodDisruptionBudget and the HorizontalPodAutoscaler select / target that Deployment;
   kustomization.yaml lists every file.
3. The ConfigMap's serve.yaml is a valid quiver config: `quiver shard` parses it with the
   server's own parser (it needs no model file).

usage: k8s_manifests_test.py --quiver BUILD/quiver --root SOURCE_DIR --npm NODE_MODULES_DIR --work DIR
Exit 0 pass, 1 fail, 77 skip (without node or the kubernetes-models package).
"""
import argparse
import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

failures = []


def check(cond, what):
  if not cond:
    failures.append(what)
    print("FAIL: " + what, flush=True)


def validate(npm, work, objects, name):
  path = os.path.join(work, name + ".json")
  with open(path, "w") as f:
    json.dump(objects, f)
  here = os.path.dirname(os.path.abspath(__file__))
  r = subprocess.run(["node", os.path.join(here, "k8s_validate.mjs"), npm, path],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
  return r.returncode, r.stdout.decode()


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--quiver", required=True)
  ap.add_argument("--root", required=True)
  ap.add_argument("--npm", required=True)
  ap.add_argument("--work", required=True)
  a = ap.parse_args()
  if shutil.which("node") is None or not os.path.isdir(
      os.path.join(a.npm, "kubernetes-models")):
    print("SKIP: needs node and the npm package kubernetes-models (scripts/install-deps.sh test)")
    return 77
  shutil.rmtree(a.work, ignore_errors=True)
  os.makedirs(a.work)
  kdir = os.path.join(a.root, "deploy", "kubernetes")
  objects, by_kind = [], {}
  for path in sorted(glob.glob(os.path.join(kdir, "*.yaml"))):
    if os.path.basename(path) == "kustomization.yaml":
      continue
    for i, doc in enumerate(yaml.safe_load_all(open(path))):
      if doc is None:
        continue
      objects.append({"where": "%s#%d" % (os.path.basename(path), i), "object": doc})
      by_kind.setdefault(doc["kind"], []).append(doc)

  # 1. The schemas.
  code, out = validate(a.npm, a.work, objects, "objects")
  print(out, end="")
  check(code == 0, "the manifests do not validate")
  dep = by_kind["Deployment"][0]
  broken = copy.deepcopy(dep)
  broken["spec"]["replicas"] = "two"
  broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["path"] = 7
  code, out = validate(a.npm, a.work, [{"where": "broken", "object": broken}], "broken")
  check(code != 0 and "replicas" in out, "a Deployment with replicas: \"two\" validated: " + out)
  typo = copy.deepcopy(dep)
  c0 = typo["spec"]["template"]["spec"]["containers"][0]
  c0["livenesProbe"] = c0.pop("livenessProbe")
  c0["resources"]["limits"]["memroy"] = "1Gi"
  code, out = validate(a.npm, a.work, [{"where": "typo", "object": typo}], "typo")
  check(code != 0 and "containers[0].livenesProbe: unknown field" in out and
        "limits" not in out, "a misspelt field validated, or a map's key was refused: " + out)

  # 2. The promises.
  spec = dep["spec"]["template"]["spec"]
  c = spec["containers"][0]
  ports = {p["name"]: p["containerPort"] for p in c["ports"]}
  check(ports.get("http") == 8500, "container port http: 8500")
  for probe, path in (("startupProbe", "/v2/health/ready"), ("livenessProbe", "/v2/health/live"),
                      ("readinessProbe", "/v2/health/ready")):
    get = c.get(probe, {}).get("httpGet", {})
    check(get.get("path") == path and get.get("port") == "http",
          "%s: httpGet %s on port http, got %s" % (probe, path, get))
  res = c.get("resources", {})
  check(res.get("requests", {}).get("memory") == res.get("limits", {}).get("memory") is not None,
        "memory request == limit: %s" % res)
  ann = dep["spec"]["template"]["metadata"].get("annotations", {})
  check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == "8500"
        and ann.get("prometheus.io/path") == "/metrics", "prometheus annotations: %s" % ann)
  mounts = {m["name"]: m for m in c["volumeMounts"]}
  vols = {v["name"]: v for v in spec["volumes"]}
  check(mounts["models"]["mountPath"] == "/models" and mounts["models"].get("readOnly"),
        "models mounted read-only at /models")
  check(vols["models"].get("persistentVolumeClaim", {}).get("claimName") in
        [p["metadata"]["name"] for p in by_kind.get("PersistentVolumeClaim", [])],
        "the models volume is the PVC of pvc.yaml")
  cm = by_kind["ConfigMap"][0]
  check(vols["config"]["configMap"]["name"] == cm["metadata"]["name"] and
        mounts["config"]["mountPath"] == "/etc/quiver", "serve.yaml from the ConfigMap")
  check(c["args"] == ["serve", "--config", "/etc/quiver/serve.yaml"], "args: %s" % c["args"])
  version = re.search(r"^project\(quiver VERSION ([0-9.]+)", open(
      os.path.join(a.root, "CMakeLists.txt")).read(), re.M).group(1)
  check(c["image"].endswith(":" + version), "image %s: tagged with the project's version %s" %
        (c["image"], version))
  check(spec["securityContext"].get("runAsNonRoot") is True, "runAsNonRoot")
  labels = dep["spec"]["template"]["metadata"]["labels"]
  check(all(labels.get(k) == v for k, v in dep["spec"]["selector"]["matchLabels"].items()),
        "the Deployment's selector matches its pods")
  svc = by_kind["Service"][0]
  check(all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()),
        "the Service selects the pods")
  check(svc["spec"]["ports"][0]["targetPort"] == "http", "the Service targets port http")
  pdb = by_kind["PodDisruptionBudget"][0]
  check(pdb["spec"]["selector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"],
        "the PDB selects the pods")
  hpa = by_kind["HorizontalPodAutoscaler"][0]
  ref = hpa["spec"]["scaleTargetRef"]
  check(ref["kind"] == "Deployment" and ref["name"] == dep["metadata"]["name"],
        "the HPA scales the Deployment")
  check(hpa["spec"]["minReplicas"] > pdb["spec"]["minAvailable"],
        "the HPA keeps more pods than the PDB needs available")
  kust = yaml.safe_load(open(os.path.join(kdir, "kustomization.yaml")))
  listed = set(kust["resources"])
  files = {os.path.basename(p) for p in glob.glob(os.path.join(kdir, "*.yaml"))}
  check(listed == files - {"kustomization.yaml"}, "kustomization.yaml lists %s" % sorted(files))

  # 3. serve.yaml parses as quiver's config.
  conf = os.path.join(a.work, "serve.yaml")
  with open(conf, "w") as f:
    f.write(cm["data"]["serve.yaml"])
  r = subprocess.run([a.quiver, "shard", "--config", conf, "--replicas", "1", "--copies", "1",
                      "--out", os.path.join(a.work, "shard")],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
  check(r.returncode == 0, "the ConfigMap's serve.yaml: " + r.stdout.decode())
  server = yaml.safe_load(cm["data"]["serve.yaml"])["server"]
  check(server["port"] == 8500 and server["host"] == "0.0.0.0",
        "serve.yaml listens on 0.0.0.0:8500 (the probes' and Service's port)")

  print("%s: %d objects" % ("FAIL" if failures else "PASS", len(objects)))
  return 1 if failures else 0


if __name__ == "__main__":
  sys.exit(main())
