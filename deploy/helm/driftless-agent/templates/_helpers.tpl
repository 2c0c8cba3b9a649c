{{/*
Names, labels and the settings derived from several values (inventory namespace, inbox
prefix, the namespaces RBAC covers), so the templates only say what is particular to them.
*/}}

{{- define "agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "agent.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end -}}

{{- define "agent.labels" -}}
helm.sh/chart: {{ include "agent.chart" . }}
{{ include "agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: driftless
driftless.dev/cluster: {{ .Values.cluster | quote }}
{{- end -}}

{{- define "agent.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- $ref := printf "%s:%s" .Values.image.repository $tag -}}
{{- if .Values.image.digest -}}{{- $ref = printf "%s@%s" .Values.image.repository .Values.image.digest -}}{{- end -}}
{{- if .Values.image.registry -}}{{- printf "%s/%s" .Values.image.registry $ref -}}{{- else -}}{{- $ref -}}{{- end -}}
{{- end -}}

{{/* The cluster name, required: everything the agent reads and publishes is scoped by it. */}}
{{- define "agent.cluster" -}}
{{- required "cluster is required: the name this cluster was registered with, e.g. --set cluster=prod-eu (see `driftless cluster add`)" .Values.cluster -}}
{{- end -}}

{{- define "agent.inventoryNamespace" -}}
{{- .Values.inventoryNamespace | default .Release.Namespace -}}
{{- end -}}

{{/* Namespaces that get a Role when rbac.scope is namespaces: the managed ones plus the inventory's. */}}
{{- define "agent.roleNamespaces" -}}
{{- $all := append (.Values.rbac.namespaces | default list) (include "agent.inventoryNamespace" .) -}}
{{- toJson (uniq $all) -}}
{{- end -}}

{{- define "agent.bootstrapSecretName" -}}
{{- if .Values.enrollment.existingSecret -}}
{{- .Values.enrollment.existingSecret -}}
{{- else if .Values.enrollment.bootstrapToken -}}
{{- printf "%s-bootstrap" (include "agent.fullname" .) -}}
{{- end -}}
{{- end -}}
