{{/* Names, labels and the checks every template shares. */}}

{{- define "support-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "support-agent.fullname" -}}
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

{{- define "support-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "support-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "support-agent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "support-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "support-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "support-agent.secretName" -}}
{{- default (include "support-agent.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{/* True (non-empty) when the store is Postgres: the migration Job has something to do. */}}
{{- define "support-agent.postgresStore" -}}
{{- if .Values.existingSecret -}}true{{- else if hasPrefix "postgres" .Values.secrets.DATABASE_URL -}}true{{- end -}}
{{- end -}}

{{/* Refuse values that would run several pods each with a SQLite store of its own. */}}
{{- define "support-agent.validate" -}}
{{- $many := or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1) -}}
{{- if and $many (not .Values.existingSecret) -}}
{{- if not (hasPrefix "postgres" .Values.secrets.DATABASE_URL) -}}
{{- fail "more than one replica (replicaCount > 1 or autoscaling.enabled) needs a shared store: set secrets.DATABASE_URL to a postgresql:// URL (or existingSecret), or run one replica with replicaCount=1 and autoscaling.enabled=false" -}}
{{- end -}}
{{- if not (hasPrefix "postgres" .Values.secrets.CHECKPOINT_URL) -}}
{{- fail "more than one replica (replicaCount > 1 or autoscaling.enabled) needs shared conversation memory: set secrets.CHECKPOINT_URL to a postgresql:// URL (or existingSecret)" -}}
{{- end -}}
{{- end -}}
{{- end -}}
