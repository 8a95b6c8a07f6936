{{/* Names, labels and the pieces every workload shares. */}}

{{- define "duka.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "duka.fullname" -}}
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

{{/* "<fullname>-<component>", kept within the 63 characters a label value allows. */}}
{{- define "duka.componentName" -}}
{{- printf "%s-%s" (include "duka.fullname" .root | trunc (int (sub 62 (len .component))) | trimSuffix "-") .component -}}
{{- end -}}

{{- define "duka.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "duka.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: duka
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "duka.selectorLabels" -}}
app.kubernetes.io/name: {{ include "duka.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "duka.componentLabels" -}}
{{ include "duka.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "duka.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "duka.configName" -}}
{{ include "duka.componentName" (dict "root" . "component" "config") }}
{{- end -}}

{{/* Pod-template annotation that rolls the pods when the rendered configuration changes. */}}
{{- define "duka.configChecksum" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- end -}}

{{/* Secret environment, per pod: each gets only the variables its process reads
     (duka/core/settings.py). The API: the database and the delivery-report callback secret.
     The flow runner: the database, the Africa's Talking API key and Prefect's API key. The
     migration Job: the database. secrets.extraEnv goes to the API and the flow runner. No
     pod gets secrets.oidc: no Duka process reads client credentials (the API checks tokens
     with the issuer's public keys). */}}
{{- define "duka.env.database" -}}
{{- with .Values.secrets.database }}
{{- if .existingSecret }}
- name: DUKA_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "duka.env.extra" -}}
{{- range .Values.secrets.extraEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
{{- end -}}

{{- define "duka.apiEnv" -}}
{{ include "duka.env.database" . }}
{{- with .Values.secrets.callback }}
{{- if .existingSecret }}
- name: {{ .envName }}
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{ include "duka.env.extra" . }}
{{- end -}}

{{- define "duka.flowsEnv" -}}
{{ include "duka.env.database" . }}
{{- with .Values.secrets.africastalking }}
{{- if .existingSecret }}
- name: DUKA_AT_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .apiKeyKey }}
{{- end }}
{{- end }}
{{- if .Values.prefect.existingSecret }}
- name: PREFECT_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.prefect.existingSecret }}
      key: {{ .Values.prefect.apiKeyKey }}
{{- end }}
{{ include "duka.env.extra" . }}
{{- end -}}

{{- define "duka.envFrom" -}}
- configMapRef:
    name: {{ include "duka.configName" . }}
{{- end -}}

{{- define "duka.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{- define "duka.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "duka.podSecurity" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
