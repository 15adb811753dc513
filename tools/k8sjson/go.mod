module workflow-registry/tools/k8sjson

go 1.26.0

// The decoder kube-apiserver v1.36.3 reads YAML with (tools/kube/go.mod).
require sigs.k8s.io/yaml v1.6.0

require go.yaml.in/yaml/v2 v2.4.2 // indirect
