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

{{/* Environment shared by the API, the flow runner and the migration Job. */}}
{{- define "duka.appEnv" -}}
{{- $s := .Values.secrets -}}
{{- if $s.database.existingSecret }}
- name: DUKA_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $s.database.existingSecret }}
      key: {{ $s.database.key }}
{{- end }}
{{- if $s.africastalking.existingSecret }}
- name: DUKA_AT_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s.africastalking.existingSecret }}
      key: {{ $s.africastalking.apiKeyKey }}
{{- end }}
{{- if $s.callback.existingSecret }}
- name: {{ $s.callback.envName }}
  valueFrom:
    secretKeyRef:
      name: {{ $s.callback.existingSecret }}
      key: {{ $s.callback.key }}
{{- end }}
{{- if $s.oidc.existingSecret }}
- name: {{ $s.oidc.clientIdEnvName }}
  valueFrom:
    secretKeyRef:
      name: {{ $s.oidc.existingSecret }}
      key: {{ $s.oidc.clientIdKey }}
- name: {{ $s.oidc.clientSecretEnvName }}
  valueFrom:
    secretKeyRef:
      name: {{ $s.oidc.existingSecret }}
      key: {{ $s.oidc.clientSecretKey }}
{{- end }}
{{- if .Values.prefect.existingSecret }}
- name: PREFECT_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.prefect.existingSecret }}
      key: {{ .Values.prefect.apiKeyKey }}
{{- end }}
{{- range $s.extraEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
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
