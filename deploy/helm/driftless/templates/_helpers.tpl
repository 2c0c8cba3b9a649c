{{/*
Names, labels and the pieces every Driftless pod shares (image, security contexts, probes,
volumes), so the per-component templates only say what is particular to them.
*/}}

{{- define "driftless.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "driftless.fullname" -}}
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

{{/* The name of one component's objects: <fullname>-<component>. */}}
{{- define "driftless.componentName" -}}
{{- printf "%s-%s" (include "driftless.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "driftless.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "driftless.selectorLabels" -}}
app.kubernetes.io/name: {{ include "driftless.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "driftless.labels" -}}
helm.sh/chart: {{ include "driftless.chart" .root }}
{{ include "driftless.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: driftless
{{- end -}}

{{/* image: registry/repository:tag or @digest. Args: root, image (the component's image values). */}}
{{- define "driftless.image" -}}
{{- $registry := .image.registry | default .root.Values.image.registry -}}
{{- $tag := .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- $ref := printf "%s:%s" .image.repository $tag -}}
{{- if .image.digest -}}{{- $ref = printf "%s@%s" .image.repository .image.digest -}}{{- end -}}
{{- if $registry -}}{{- printf "%s/%s" $registry $ref -}}{{- else -}}{{- $ref -}}{{- end -}}
{{- end -}}

{{- define "driftless.imagePullSecrets" -}}
{{- with .Values.image.pullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end -}}
{{- end -}}

{{- define "driftless.podSecurityContext" -}}
securityContext:
{{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{- define "driftless.containerSecurityContext" -}}
securityContext:
{{- toYaml .Values.containerSecurityContext | nindent 2 }}
{{- end -}}

{{/* Liveness on /healthz (the process answers), readiness on /readyz (its dependencies answer). */}}
{{- define "driftless.probes" -}}
startupProbe:
  httpGet: { path: /healthz, port: http }
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet: { path: /healthz, port: http }
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: { path: /readyz, port: http }
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/* Prometheus scrape annotations, unless ServiceMonitors do the job. Args: root, port. */}}
{{- define "driftless.scrapeAnnotations" -}}
{{- if and .root.Values.metrics.podAnnotations (not .root.Values.metrics.serviceMonitor.enabled) -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end -}}
{{- end -}}

{{/* NATS URL: the in-chart server's Service, or the external URL. */}}
{{- define "driftless.natsUrl" -}}
{{- if .Values.nats.inChart.enabled -}}
{{- printf "nats://%s:4222" (include "driftless.componentName" (dict "root" . "component" "nats")) -}}
{{- else -}}
{{- required "nats.url is required: the NATS server(s) of the control plane, e.g. nats://nats.nats:4222 (or set nats.inChart.enabled=true to try it out)" .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{/* Whether the NATS .creds Secret is mounted (never with the in-chart server, which has no auth). */}}
{{- define "driftless.hasNatsCreds" -}}
{{- if and .Values.nats.credentials.existingSecret (not .Values.nats.inChart.enabled) -}}true{{- end -}}
{{- end -}}

{{/* Secret and key holding the audit database URL. */}}
{{- define "driftless.postgresSecretName" -}}
{{- if .Values.postgres.inChart.enabled -}}
{{- include "driftless.componentName" (dict "root" . "component" "postgres") -}}
{{- else -}}
{{- required "postgres.url.existingSecret is required: an existing Secret holding the audit database URL (or set postgres.inChart.enabled=true to try it out)" .Values.postgres.url.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "driftless.postgresSecretKey" -}}
{{- if .Values.postgres.inChart.enabled -}}url{{- else -}}{{- .Values.postgres.url.key -}}{{- end -}}
{{- end -}}

{{- define "driftless.adminTokenSecretName" -}}
{{- if .Values.audit.adminToken.existingSecret -}}
{{- .Values.audit.adminToken.existingSecret -}}
{{- else if .Values.audit.adminToken.create -}}
{{- include "driftless.componentName" (dict "root" . "component" "audit-admin") -}}
{{- end -}}
{{- end -}}

{{/* Environment variables both services read, beyond their own ConfigMap. */}}
{{- define "driftless.extraEnv" -}}
{{- $env := list -}}
{{- range $name, $value := .Values.extraEnv -}}
{{- $env = append $env (dict "name" $name "value" (toString $value)) -}}
{{- end -}}
{{- with $env }}{{ toYaml . }}{{ end -}}
{{- end -}}

{{/* The writable scratch folder Node needs with a read-only root file system. */}}
{{- define "driftless.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{/* NetworkPolicy ingress rule for one HTTP port. Args: root, port. */}}
{{- define "driftless.httpIngressRule" -}}
- ports:
    - port: http
      protocol: TCP
{{- with .root.Values.networkPolicy.ingressFrom }}
  from:
{{- toYaml . | nindent 4 }}
{{- end }}
{{- end -}}

{{/* NetworkPolicy egress rules: DNS, then the given TCP ports to anywhere. Args: ports. */}}
{{- define "driftless.egressRules" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
- ports:
{{- range .ports }}
    - port: {{ . }}
      protocol: TCP
{{- end }}
{{- end -}}
