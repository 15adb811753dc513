#!/usr/bin/env python3
"""Write a Workflow-shaped manifest stream of about N documents to stdout.

usage: gen-stream.py N [--seed S] [--edit-heavy]
       gen-stream.py N --realistic RENDER

Each block of 16 documents has the mix of testdata/: the Workflow builder and
controller (with the registry variables), the on-cluster registry and proxy,
app Deployments and Services, Secrets, ConfigMaps with block scalars and
strings a YAML 1.1 reader would misread, and a CRD. Helm 3 style: every
document starts with `---` and a `# Source:` line. Deterministic for a seed.

--edit-heavy: every block of 16 starts with its own Workflow builder and
controller (all in namespace deis), so that 2 documents in 16 are edited:
51,200 documents are 3,200 Workflow copies, about 32 MiB.

--realistic RENDER: the documents of RENDER (a real chart's render, e.g.
Hephy's `helm template` output), repeated until about N documents, each copy's
object names suffixed (`deis-builder-17`) so that copies are distinct objects.
Container names and images stay: the filter recognises and configures every
copy, as it would a real render (almost every document names `deis`).
"""
import re
import random
import sys

TRICKY = ['"on"', '"yes"', '"y"', '"0777"', '"1e3"', '"0x1F"', '"~"', '"null"', '"1:20"', '"2001-12-14"',
          '"héllo wörld ☸"', '"12345678901234567890"', "'no'", '""']


def builder(i, name):
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: deis
  labels:
    heritage: deis
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: {name}
          image: quay.io/deis/{name}:v2.{i % 20}.0
          env:
            - name: "DEIS_REGISTRY_SERVICE_HOST"
              value: "127.0.0.1"
            - name: "DEIS_REGISTRY_SERVICE_PORT"
              value: "5555"
            - name: "DEIS_REGISTRY_LOCATION"
              value: "on-cluster"
            - name: "DEIS_REGISTRY_SECRET_PREFIX"
              value: "private-registry"
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          volumeMounts:
            - name: creds
              mountPath: /var/run/secrets/deis/objectstore/creds
      volumes:
        - name: creds
          secret:
            secretName: objectstorage-keyfile
            defaultMode: 0644
"""


def app(i, rnd):
    env = "\n".join(f"            - name: VAR_{k}\n              value: {rnd.choice(TRICKY)}" for k in range(6))
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: app-{i % 97}
  labels:
    app: app-{i}
  annotations:
    example.com/owner: "team-{i % 7}"
spec:
  replicas: {i % 5}
  selector:
    matchLabels:
      app: app-{i}
  template:
    metadata:
      labels:
        app: app-{i}
    spec:
      containers:
        - name: web
          image: registry.example.com/app-{i}:git-{i:08x}
          args: ["--port", "5000", "--debug", {rnd.choice(TRICKY)}]
          ports:
            - containerPort: 5000
          env:
{env}
          resources:
            limits: {{cpu: 500m, memory: 256Mi}}
"""


def service(i):
    return f"""apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: app-{i % 97}
spec:
  selector:
    app: app-{i}
  ports:
  - name: http
    port: 80
    targetPort: 5000
"""


def secret(i):
    return f"""apiVersion: v1
kind: Secret
metadata:
  name: app-{i}-env
  namespace: app-{i % 97}
type: Opaque
data:
  password: cGFzc3dvcmQte2l9
  token: dG9rZW4te2l9LXNlY3JldA==
"""


def configmap(i, rnd):
    values = "\n".join(f"  key{k}: {rnd.choice(TRICKY)}" for k in range(8))
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}-config
  namespace: app-{i % 97}
data:
{values}
  nginx.conf: |
    # block scalar kept byte for byte
    worker_processes auto;
    --- an indented marker is not a document start
    events {{ worker_connections {1024 + i % 100}; }}
  folded: >-
    one
    two
"""


def crd(i):
    return f"""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets{i}.example.com
spec:
  group: example.com
  names:
    kind: Widget{i}
    plural: widgets{i}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"""


def registry(i):
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: deis-registry
  namespace: deis
spec:
  selector:
    matchLabels: {{app: deis-registry}}
  template:
    metadata:
      labels: {{app: deis-registry}}
    spec:
      containers:
      - name: deis-registry
        image: quay.io/deis/registry:v2.5.{i % 10}
        env:
        - name: REGISTRY_STORAGE
          value: minio
"""


NAME = re.compile(r"^(metadata:\n(?:(?:  .*)?\n)*?  name: )(\S+)$", re.M)


def realistic(n, render, out):
    """`render`'s documents, repeated with suffixed object names."""
    docs = [d for d in re.split(r"^---[ \t]*$\n?", open(render).read(), flags=re.M) if d.strip()]
    copy = 0
    written = 0
    while written < n:
        for doc in docs:
            if written >= n:
                break
            out.write("---\n" + NAME.sub(lambda m: f"{m.group(1)}{m.group(2)}-{copy}", doc, count=1))
            written += 1
        copy += 1


def main():
    n = int(sys.argv[1])
    if "--realistic" in sys.argv:
        return realistic(n, sys.argv[sys.argv.index("--realistic") + 1], sys.stdout)
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
    rnd = random.Random(seed)
    edit_heavy = "--edit-heavy" in sys.argv
    out = sys.stdout
    for i in range(n):
        slot = i % 16
        if edit_heavy and slot == 0:
            doc, src = builder(i, "deis-builder"), "workflow/charts/builder/templates/builder-deployment.yaml"
        elif edit_heavy and slot == 1:
            doc, src = builder(i, "deis-controller"), "workflow/charts/controller/templates/controller-deployment.yaml"
        elif i == 0:
            doc, src = builder(i, "deis-builder"), "workflow/charts/builder/templates/builder-deployment.yaml"
        elif i == 1:
            doc, src = builder(i, "deis-controller"), "workflow/charts/controller/templates/controller-deployment.yaml"
        elif i == 2:
            doc, src = registry(i), "workflow/charts/registry/templates/registry-deployment.yaml"
        elif slot in (3, 4, 5, 6, 7):
            doc, src = app(i, rnd), f"apps/templates/app-{i}.yaml"
        elif slot in (8, 9, 10):
            doc, src = service(i), f"apps/templates/service-{i}.yaml"
        elif slot in (11, 12):
            doc, src = configmap(i, rnd), f"apps/templates/configmap-{i}.yaml"
        elif slot == 13:
            doc, src = secret(i), f"apps/templates/secret-{i}.yaml"
        elif slot == 14:
            doc, src = crd(i), f"apps/crds/crd-{i}.yaml"
        else:
            doc, src = app(i, rnd), f"apps/templates/app-{i}.yaml"
        out.write(f"---\n# Source: {src}\n{doc}")


if __name__ == "__main__":
    main()
