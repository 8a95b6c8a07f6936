{{/* Namespaces the operator watches: the configured list, or the release namespace. */}}
{{- define "duka.operatorNamespaces" -}}
{{- $list := .Values.operator.watchNamespaces | default (list .Release.Namespace) -}}
{{- toJson $list -}}
{{- end -}}
