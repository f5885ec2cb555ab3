#!/usr/bin/env python3
"""Writes ONE service template in the formats of pave, Copier, Cookiecutter, kickstart and
cargo-generate.

The file tree, the questions and every byte of content come from the single list `FILES` below,
so the tools render the same project and the comparison measures the tools, not the templates.

Template text is written once in the syntax that Tera, Jinja and Liquid share (`{{ V.x }}`,
`{% if %}`, `{% for %}`, `{% raw %}`, `{%- -%}`); `V.` becomes nothing, or `cookiecutter.` for
Cookiecutter, and the few spellings that differ are swapped per dialect (see DIALECT). Files
marked `render=False` are copied byte for byte by every tool (pave: no `.tera` suffix; Copier: no
`.jinja` suffix; the others: listed in `_copy_without_render`, `copy_without_render` or
`[template] exclude`), which is what a real template does for GitHub workflows full of `${{ }}`
and for binary files.

Usage: gen_template.py OUT_DIR
  writes OUT_DIR/{pave-catalog,copier,cookiecutter,kickstart,cargo-generate}/ and
  OUT_DIR/kickstart-answers.json
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import sys
import zlib
from pathlib import Path

TEMPLATE_NAME = "bench-service"

# The five questions: name, type, default (None = required), choices, help.
QUESTIONS = [
    ("service_name", "string", "my-service", None, "Service name (lowercase letters, digits, dashes)"),
    ("team", "string", "platform-team", None, "Owning team"),
    ("tier", "choice", "tier-2", ["tier-1", "tier-2", "tier-3"], "Service tier"),
    ("port", "int", 8080, None, "HTTP port"),
    ("database", "bool", True, None, "Does the service own a PostgreSQL database?"),
]

# The answers every tool is given on its command line (database keeps its default, true).
ANSWERS = {"service_name": "payments", "team": "team-payments", "tier": "tier-1", "port": "9090"}


def png_bytes() -> bytes:
    """A small but real 32x32 PNG, so every template carries one binary file."""
    width = height = 32
    raw = b"".join(
        b"\x00" + b"".join(bytes((x * 8 % 256, y * 8 % 256, 160)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


# (path, content, render, executable). Paths and rendered contents use `V.` for answers.
FILES: list[tuple[str, str | bytes, bool, bool]] = []


def add(path: str, content: str | bytes, render: bool = True, executable: bool = False) -> None:
    FILES.append((path, content, render, executable))


add("README.md", """\
# {{ V.service_name }}

HTTP service owned by **{{ V.team }}** ({{ V.tier }}), generated from the `bench-service` golden path.

| What | Where |
| --- | --- |
| Code | `cmd/{{ V.service_name }}/`, `internal/` |
| CI | `.github/workflows/` |
| Deployment | `deploy/k8s/` (kustomize, one overlay per environment) |
| Infrastructure | `infra/terraform/` |
| Runbook | `docs/runbook.md` |

## Run it

```sh
make run        # listens on :{{ V.port }}
make test
```
{% if V.database %}
## Database

The service owns a PostgreSQL database; migrations live in `sql/migrations/` and run at start-up.
{% endif %}
## Ownership

Questions go to {{ V.team }}. Incidents: see the runbook.
""")

add("CHANGELOG.md", """\
# Changelog

All notable changes to {{ V.service_name }} are documented here (Keep a Changelog, SemVer).

## [Unreleased]

- Service created from the golden path.
""")

add("LICENSE", """\
Copyright Example Corp. All rights reserved.

This repository is proprietary and confidential. Unauthorised copying of any file in it, by any
means, is prohibited.
""", render=False)

add("CODEOWNERS", """\
# Every file is owned by the service team; the platform team co-owns the golden-path files.
*                         @example/{{ V.team }}
/.github/workflows/       @example/{{ V.team }} @example/platform-team
/deploy/                  @example/{{ V.team }} @example/platform-team
/infra/                   @example/{{ V.team }} @example/platform-team
""")

add("catalog-info.yaml", """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {{ V.service_name }}
  description: HTTP service {{ V.service_name }}
  annotations:
    github.com/project-slug: example/{{ V.service_name }}
    backstage.io/techdocs-ref: dir:.
  tags:
    - go
    - {{ V.tier }}
spec:
  type: service
  lifecycle: production
  owner: group:{{ V.team }}
  system: {{ V.team }}
{%- if V.database %}
  dependsOn:
    - resource:{{ V.service_name }}-db
{%- endif %}
""")

add(".gitignore", """\
/bin/
/dist/
*.test
*.out
.env
.idea/
.vscode/
.terraform/
*.tfstate
*.tfstate.backup
""", render=False)

add(".dockerignore", """\
.git
.github
bin
dist
docs
infra
deploy
""", render=False)

add(".editorconfig", """\
root = true

[*]
end_of_line = lf
insert_final_newline = true
charset = utf-8
trim_trailing_whitespace = true

[*.go]
indent_style = tab

[*.{yml,yaml,json,tf,md}]
indent_style = space
indent_size = 2

[Makefile]
indent_style = tab
""", render=False)

add(".golangci.yml", """\
run:
  timeout: 5m
linters:
  enable:
    - errcheck
    - gosimple
    - govet
    - ineffassign
    - staticcheck
    - unused
    - gofumpt
    - revive
    - bodyclose
    - noctx
""", render=False)

add(".pre-commit-config.yaml", """\
repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v5.0.0
    hooks:
      - id: trailing-whitespace
      - id: end-of-file-fixer
      - id: check-yaml
        args: [--allow-multiple-documents]
  - repo: https://github.com/antonbabenko/pre-commit-terraform
    rev: v1.96.1
    hooks:
      - id: terraform_fmt
      - id: terraform_validate
""", render=False)

add("go.mod", """\
module github.com/example/{{ V.service_name }}

go 1.24

require (
	github.com/prometheus/client_golang v1.20.5
	go.opentelemetry.io/otel v1.32.0
{%- if V.database %}
	github.com/jackc/pgx/v5 v5.7.1
{%- endif %}
)
""")

add("Makefile", """\
SERVICE := {{ V.service_name }}
IMAGE   ?= ghcr.io/example/$(SERVICE)
VERSION ?= $(shell git describe --tags --always --dirty)

.PHONY: build run test lint image

build:
\tgo build -trimpath -o bin/$(SERVICE) ./cmd/$(SERVICE)

run:
\tPORT={{ V.port }} go run ./cmd/$(SERVICE)

test:
\tgo test -race -count=1 ./...

lint:
\tgolangci-lint run

image:
\tdocker build -t $(IMAGE):$(VERSION) .
""")

add("Dockerfile", """\
# syntax=docker/dockerfile:1.7
FROM golang:1.24 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/{{ V.service_name }} ./cmd/{{ V.service_name }}

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/{{ V.service_name }} /{{ V.service_name }}
EXPOSE {{ V.port }}
USER nonroot:nonroot
ENTRYPOINT ["/{{ V.service_name }}"]
""")

add("cmd/{{ V.service_name }}/main.go", """\
// Command {{ V.service_name }} serves the {{ V.service_name }} HTTP API.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/example/{{ V.service_name }}/internal/config"
	"github.com/example/{{ V.service_name }}/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := config.Load()
	if err != nil {
		slog.Error("configuration", "error", err)
		os.Exit(2)
	}
	if err := server.Run(ctx, cfg); err != nil {
		slog.Error("{{ V.service_name }} stopped", "error", err)
		os.Exit(1)
	}
}
""")

add("internal/config/config.go", """\
// Package config reads the service configuration from the environment.
package config

import (
	"fmt"
	"os"
	"strconv"
)

// Config is the whole configuration of {{ V.service_name }}.
type Config struct {
	Port        int
	ServiceName string
{%- if V.database %}
	DatabaseURL string
{%- endif %}
}

// Load reads the configuration, with defaults for local development.
func Load() (Config, error) {
	cfg := Config{Port: {{ V.port }}, ServiceName: "{{ V.service_name }}"}
	if p := os.Getenv("PORT"); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil {
			return cfg, fmt.Errorf("PORT=%q: %w", p, err)
		}
		cfg.Port = port
	}
{%- if V.database %}
	cfg.DatabaseURL = os.Getenv("DATABASE_URL")
	if cfg.DatabaseURL == "" {
		return cfg, fmt.Errorf("DATABASE_URL is not set")
	}
{%- endif %}
	return cfg, nil
}
""")

add("internal/config/config_test.go", """\
package config

import "testing"

func TestDefaultPort(t *testing.T) {
	t.Setenv("PORT", "")
{%- if V.database %}
	t.Setenv("DATABASE_URL", "postgres://localhost/{{ V.service_name }}")
{%- endif %}
	cfg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != {{ V.port }} {
		t.Fatalf("port = %d, want {{ V.port }}", cfg.Port)
	}
}
""")

add("internal/server/server.go", """\
// Package server wires the HTTP handlers of {{ V.service_name }}.
package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/example/{{ V.service_name }}/internal/config"
	"github.com/example/{{ V.service_name }}/internal/health"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Run serves until ctx is cancelled, then drains for up to 20 seconds.
func Run(ctx context.Context, cfg config.Config) error {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health.Live())
	mux.Handle("GET /readyz", health.Ready())
	mux.Handle("GET /metrics", promhttp.Handler())
	mux.HandleFunc("GET /v1/hello", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "hello from {{ V.service_name }}")
	})

	srv := &http.Server{Addr: fmt.Sprintf(":%d", cfg.Port), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
""")

add("internal/server/server_test.go", """\
package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/example/{{ V.service_name }}/internal/health"
)

func TestLive(t *testing.T) {
	rec := httptest.NewRecorder()
	health.Live().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
}
""")

add("internal/health/health.go", """\
// Package health implements the liveness and readiness probes.
package health

import (
	"net/http"
	"sync/atomic"
)

var ready atomic.Bool

// SetReady marks the service ready (or not) for traffic.
func SetReady(v bool) { ready.Store(v) }

// Live always answers 200 while the process runs.
func Live() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
}

// Ready answers 200 once SetReady(true) was called.
func Ready() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
""", render=False)

add("internal/db/db.go", """\
// Package db opens the database of {{ V.service_name }}{% if V.database %}{% else %} (unused: the service has no database){% endif %}.
package db
{% if V.database %}
import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Open connects to PostgreSQL and checks the connection.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}
{% endif -%}
""")

add("sql/migrations/0001_init.sql", """\
-- {{ V.service_name }}: initial schema
CREATE TABLE IF NOT EXISTS greetings (
    id         BIGSERIAL PRIMARY KEY,
    message    TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON greetings TO {{ V.service_name | replace_dash }}_app;
""")

add("scripts/dev.sh", """\
#!/usr/bin/env bash
# Starts {{ V.service_name }} locally{% if V.database %} with a throwaway PostgreSQL{% endif %}.
set -euo pipefail
cd "$(dirname "$0")/.."
{%- if V.database %}
docker run -d --rm --name {{ V.service_name }}-db -e POSTGRES_PASSWORD=dev -p 5432:5432 postgres:17
export DATABASE_URL=postgres://postgres:dev@localhost:5432/postgres
{%- endif %}
PORT={{ V.port }} exec go run ./cmd/{{ V.service_name }}
""", executable=True)

add("scripts/check-links.sh", """\
#!/usr/bin/env bash
# Fails when a Markdown file links to a file that does not exist.
set -euo pipefail
status=0
while IFS= read -r -d '' md; do
  grep -oE '\\]\\(([^)#]+)\\)' "$md" | sed -E 's/^\\]\\((.*)\\)$/\\1/' | while read -r link; do
    case "$link" in http*|mailto:*) continue ;; esac
    [ -e "$(dirname "$md")/$link" ] || { echo "$md: broken link $link"; status=1; }
  done
done < <(find . -name '*.md' -not -path './.git/*' -print0)
exit $status
""", render=False, executable=True)

add(".github/workflows/ci.yml", """\
name: ci
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
concurrency:
  group: ci-${{ github.ref }}
  cancel-in-progress: ${{ github.event_name == 'pull_request' }}
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with:
          go-version-file: go.mod
      - run: go vet ./...
      - run: go test -race -count=1 ./...
  lint:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: golangci/golangci-lint-action@v6
  image:
    needs: [test, lint]
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with:
          push: false
          tags: ghcr.io/${{ github.repository }}:${{ github.sha }}
""", render=False)

add(".github/workflows/release.yml", """\
name: release
on:
  push:
    tags: ['v*']
permissions:
  contents: write
  packages: write
  id-token: write
jobs:
  image:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/${{ github.repository }}:${{ github.ref_name }}
      - uses: softprops/action-gh-release@v2
        with:
          generate_release_notes: true
""", render=False)

add(".github/workflows/deploy.yml", """\
name: deploy
on:
  workflow_dispatch:
    inputs:
      environment:
        type: choice
        options: [dev, staging, prod]
      version:
        required: true
jobs:
  deploy:
    runs-on: ubuntu-24.04
    environment: ${{ inputs.environment }}
    steps:
      - uses: actions/checkout@v4
      - uses: azure/setup-kubectl@v4
      - name: Render and apply
        run: |
          cd deploy/k8s/overlays/${{ inputs.environment }}
          kustomize edit set image app=ghcr.io/${{ github.repository }}:${{ inputs.version }}
          kustomize build . | kubectl apply -f -
      - name: Wait for rollout, roll back on failure
        run: |
          if ! kubectl rollout status deployment/app --timeout=5m; then
            kubectl rollout undo deployment/app
            exit 1
          fi
""", render=False)

add(".github/dependabot.yml", """\
version: 2
updates:
  - package-ecosystem: gomod
    directory: /
    schedule:
      interval: weekly
  - package-ecosystem: github-actions
    directory: /
    schedule:
      interval: weekly
  - package-ecosystem: terraform
    directory: /infra/terraform
    schedule:
      interval: monthly
""", render=False)

add(".github/pull_request_template.md", """\
## What and why

## How it was tested

- [ ] unit tests
- [ ] deployed to dev

## Rollback plan
""", render=False)

K8S_LABELS = """\
    app.kubernetes.io/name: {{ V.service_name }}
    app.kubernetes.io/part-of: {{ V.team }}
    example.com/tier: {{ V.tier }}"""

add("deploy/k8s/base/deployment.yaml", f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ V.service_name }}}}
  labels:
{K8S_LABELS}
spec:
  replicas: {{% if V.tier == "tier-1" %}}3{{% else %}}2{{% endif %}}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {{{{ V.service_name }}}}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{{{ V.service_name }}}}
    spec:
      serviceAccountName: {{{{ V.service_name }}}}
      securityContext:
        runAsNonRoot: true
      containers:
        - name: app
          image: app
          ports:
            - name: http
              containerPort: {{{{ V.port }}}}
          envFrom:
            - configMapRef:
                name: {{{{ V.service_name }}}}
{{%- if V.database %}}
          env:
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {{{{ V.service_name }}}}-db
                  key: url
{{%- endif %}}
          readinessProbe:
            httpGet: {{ path: /readyz, port: http }}
          livenessProbe:
            httpGet: {{ path: /healthz, port: http }}
          resources:
            requests: {{ cpu: 100m, memory: 128Mi }}
            limits: {{ memory: 256Mi }}
""")

add("deploy/k8s/base/service.yaml", f"""\
apiVersion: v1
kind: Service
metadata:
  name: {{{{ V.service_name }}}}
  labels:
{K8S_LABELS}
spec:
  selector:
    app.kubernetes.io/name: {{{{ V.service_name }}}}
  ports:
    - name: http
      port: 80
      targetPort: http
""")

add("deploy/k8s/base/hpa.yaml", """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ V.service_name }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ V.service_name }}
  minReplicas: {% if V.tier == "tier-1" %}3{% else %}2{% endif %}
  maxReplicas: {% if V.tier == "tier-1" %}20{% else %}6{% endif %}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
""")

add("deploy/k8s/base/pdb.yaml", """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ V.service_name }}
spec:
  minAvailable: {% if V.tier == "tier-1" %}2{% else %}1{% endif %}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ V.service_name }}
""")

add("deploy/k8s/base/configmap.yaml", """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ V.service_name }}
data:
  PORT: "{{ V.port }}"
  SERVICE_NAME: {{ V.service_name }}
  OTEL_SERVICE_NAME: {{ V.service_name }}
  OTEL_RESOURCE_ATTRIBUTES: team={{ V.team }},tier={{ V.tier }}
""")

add("deploy/k8s/base/serviceaccount.yaml", """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ V.service_name }}
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/{{ V.service_name }}
""")

add("deploy/k8s/base/networkpolicy.yaml", """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ V.service_name }}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {{ V.service_name }}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress
      ports:
        - port: {{ V.port }}
""")

add("deploy/k8s/base/kustomization.yaml", """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {{ V.team }}
resources:
  - deployment.yaml
  - service.yaml
  - hpa.yaml
  - pdb.yaml
  - configmap.yaml
  - serviceaccount.yaml
  - networkpolicy.yaml
images:
  - name: app
    newName: ghcr.io/example/{{ V.service_name }}
""")

for env, replicas in (("dev", 1), ("staging", 2), ("prod", 3)):
    add(f"deploy/k8s/overlays/{env}/kustomization.yaml", f"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
nameSuffix: ""
commonLabels:
  example.com/environment: {env}
replicas:
  - name: {{{{ V.service_name }}}}
    count: {{% if V.tier == "tier-1" %}}{replicas + 1}{{% else %}}{replicas}{{% endif %}}
""")

add("infra/terraform/versions.tf", """\
terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
}
""", render=False)

add("infra/terraform/backend.tf", """\
terraform {
  backend "s3" {
    bucket         = "example-terraform-state"
    key            = "services/{{ V.service_name }}/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "terraform-locks"
    encrypt        = true
  }
}
""")

add("infra/terraform/variables.tf", """\
variable "service_name" {
  type    = string
  default = "{{ V.service_name }}"
}

variable "team" {
  type    = string
  default = "{{ V.team }}"
}

variable "environment" {
  type = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod"
  }
}
""")

add("infra/terraform/main.tf", """\
locals {
  tags = {
    service = var.service_name
    team    = var.team
    tier    = "{{ V.tier }}"
  }
}

resource "aws_ecr_repository" "this" {
  name                 = var.service_name
  image_tag_mutability = "IMMUTABLE"
  tags                 = local.tags
}

resource "aws_iam_role" "service" {
  name = "${var.service_name}-${var.environment}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/eks" }
    }]
  })
  tags = local.tags
}
{% if V.database %}
module "db" {
  source            = "terraform-aws-modules/rds/aws"
  version           = "~> 6.10"
  identifier        = "${var.service_name}-${var.environment}"
  engine            = "postgres"
  engine_version    = "17"
  instance_class    = "{% if V.tier == "tier-1" %}db.r6g.large{% else %}db.t4g.medium{% endif %}"
  allocated_storage = 20
  multi_az          = {% if V.tier == "tier-1" %}true{% else %}false{% endif %}
  tags              = local.tags
}
{% endif -%}
""")

add("infra/terraform/outputs.tf", """\
output "repository_url" {
  value = aws_ecr_repository.this.repository_url
}

output "role_arn" {
  value = aws_iam_role.service.arn
}
{%- if V.database %}

output "db_endpoint" {
  value = module.db.db_instance_endpoint
}
{%- endif %}
""")

add("docs/runbook.md", """\
# Runbook: {{ V.service_name }}

Owner: {{ V.team }}. Tier: {{ V.tier }}.

## Dashboards

Grafana: `observability/dashboards/service.json` (imported as "{{ V.service_name }}").

## Rollback

1. Run the `deploy` workflow with the previous version, or
2. `kubectl rollout undo deployment/{{ V.service_name }} -n {{ V.team }}`.
{% if V.database %}
Database migrations are forward-only: a rollback keeps the new schema, so every migration must be
compatible with the previous release.
{% endif %}
## Escalation

{% if V.tier == "tier-1" %}Page the {{ V.team }} on-call immediately, then platform-oncall after 15 minutes.{% else %}Post in the {{ V.team }} channel; page on-call only for customer impact.{% endif %}
""")

add("docs/architecture.md", """\
# Architecture of {{ V.service_name }}

```
client -> ingress -> {{ V.service_name }} (:{{ V.port }}){% if V.database %} -> PostgreSQL{% endif %}
```

- Stateless HTTP service, horizontally scaled by the HPA.
- Configuration from the environment (`internal/config`).
- Metrics on `/metrics`, traces via OpenTelemetry.
""")

add("docs/slo.md", """\
# Service level objectives

| SLI | Objective |
| --- | --- |
| Availability (non-5xx) | {% if V.tier == "tier-1" %}99.95{% elif V.tier == "tier-2" %}99.9{% else %}99.5{% endif %}% over 28 days |
| Latency p99 of `/v1/*` | < {% if V.tier == "tier-1" %}300{% else %}800{% endif %} ms |
""")

add("docs/oncall.md", """\
# On-call

{{ V.team }} runs the on-call rotation for {{ V.service_name }}.
{% for env in ENVIRONMENTS %}
- {{ env }}: alerts go to #{{ V.team }}-{{ env }}{% if env == "prod" %} and page{% endif %}
{%- endfor %}
""")

add("docs/adr/0001-record-architecture-decisions.md", """\
# 1. Record architecture decisions

Date: at creation

## Status

Accepted

## Context

We need to record the architectural decisions made on this project.

## Decision

We will use Architecture Decision Records, as described by Michael Nygard.

## Consequences

See Michael Nygard's article, linked above.
""", render=False)

add("observability/alerts.yaml", """\
groups:
  - name: {{ V.service_name }}
    rules:
      - alert: {{ V.service_name | upper }}_HIGH_ERROR_RATE
        expr: |
          sum(rate(http_requests_total{service="{{ V.service_name }}",code=~"5.."}[5m]))
            / sum(rate(http_requests_total{service="{{ V.service_name }}"}[5m])) > 0.01
        for: 10m
        labels:
          severity: {% if V.tier == "tier-1" %}page{% else %}ticket{% endif %}
          team: {{ V.team }}
        annotations:
          summary: {% raw %}"{{ $labels.instance }} returns more than 1% errors"{% endraw %}
          runbook_url: https://github.com/example/{{ V.service_name }}/blob/main/docs/runbook.md
""")

add("observability/dashboards/service.json", """\
{
  "title": "{{ V.service_name }}",
  "tags": ["{{ V.team }}", "{{ V.tier }}"],
  "timezone": "utc",
  "panels": [
    {
      "type": "timeseries",
      "title": "Requests per second",
      "targets": [{ "expr": "sum(rate(http_requests_total{service=\\"{{ V.service_name }}\\"}[5m]))" }]
    },
    {
      "type": "timeseries",
      "title": "p99 latency",
      "targets": [{ "expr": "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service=\\"{{ V.service_name }}\\"}[5m])))" }]
    }
  ]
}
""")

add("policy/deployment.rego", """\
package deployment

import rego.v1

deny contains msg if {
	input.kind == "Deployment"
	some c in input.spec.template.spec.containers
	not c.resources.limits.memory
	msg := sprintf("container %s has no memory limit", [c.name])
}

deny contains msg if {
	input.kind == "Deployment"
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := "pods must run as non-root"
}
""", render=False)

add("assets/logo.png", png_bytes(), render=False)


# --------------------------------------------------------------------------------------------

# The few spellings on which Tera (pave, kickstart), Jinja (Copier, Cookiecutter) and Liquid
# (cargo-generate) differ; everything else in FILES is written in their common subset.
DIALECT = {
    "tera": {
        "| replace_dash": '| replace(from="-", to="_")',
        "ENVIRONMENTS": '["dev", "staging", "prod"]',
    },
    "jinja": {
        "| replace_dash": '| replace("-", "_")',
        "ENVIRONMENTS": '["dev", "staging", "prod"]',
    },
    "liquid": {
        "| replace_dash": '| replace: "-", "_"',
        "{% for env in ENVIRONMENTS %}":
            '{% assign environments = "dev,staging,prod" | split: "," %}{% for env in environments %}',
        "| upper": "| upcase",
        "{% elif ": "{% elsif ",
    },
}
TOOL_DIALECT = {"pave": "tera", "kickstart": "tera", "copier": "jinja", "cookiecutter": "jinja",
                "cargo-generate": "liquid"}


def for_tool(text: str, tool: str) -> str:
    """`V.x` -> `x` (`cookiecutter.x` for Cookiecutter), then the tool's dialect spellings."""
    text = re.sub(r"\bV\.", "cookiecutter." if tool == "cookiecutter" else "", text)
    for common, spelling in DIALECT[TOOL_DIALECT[tool]].items():
        text = text.replace(common, spelling)
    return text


def write(path: Path, content: str | bytes, executable: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    os.chmod(path, 0o755 if executable else 0o644)


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)


def gen_pave(out: Path) -> None:
    root = out / "pave-catalog"
    (root / "catalog.toml").parent.mkdir(parents=True, exist_ok=True)
    (root / "catalog.toml").write_text(f"""\
[catalog]
name = "benchmark catalog"
owner = "platform-team"

[support]
channel = "#platform-help"

[[template]]
name = "{TEMPLATE_NAME}"
description = "Go HTTP service (benchmark template)"
kind = "service"
maturity = "stable"
owner = "platform-team"
""")
    version = root / "templates" / TEMPLATE_NAME / "1.0.0"
    lines = ['[template]', 'description = "Go HTTP service (benchmark template)"', ""]
    for name, kind, default, choices, help_ in QUESTIONS:
        lines.append(f"[questions.{name}]")
        lines.append(f'type = "{kind}"')
        lines.append(f"help = {json.dumps(help_)}")
        if name == "service_name":
            lines.append('validate = "^[a-z][a-z0-9-]{1,38}[a-z0-9]$"')  # required: no default
        else:
            lines.append(f"default = {toml_value(default)}")
        if choices:
            lines.append("choices = [" + ", ".join(json.dumps(c) for c in choices) + "]")
        lines.append("")
    write(version / "template.toml", "\n".join(lines), False)
    for path, content, render, executable in FILES:
        target = version / "files" / for_tool(path, "pave")
        if render:
            write(target.with_name(target.name + ".tera"), for_tool(content, "pave"), executable)
        else:
            write(target, content, executable)


def gen_copier(out: Path) -> None:
    root = out / "copier"
    lines = ["_subdirectory: files", "_templates_suffix: .jinja", ""]
    for name, kind, default, choices, help_ in QUESTIONS:
        lines.append(f"{name}:")
        lines.append(f"  type: {'str' if kind in ('string', 'choice') else kind}")
        lines.append(f"  help: {json.dumps(help_)}")
        if name != "service_name":
            lines.append(f"  default: {json.dumps(default)}")
        if choices:
            lines.append("  choices: " + json.dumps(choices))
    write(root / "copier.yml", "\n".join(lines) + "\n", False)
    for path, content, render, executable in FILES:
        target = root / "files" / for_tool(path, "copier")
        if render:
            write(target.with_name(target.name + ".jinja"), for_tool(content, "copier"), executable)
        else:
            write(target, content, executable)


def copy_only(tool: str) -> list[str]:
    return [for_tool(p, tool) for p, _, render, _ in FILES if not render]


def gen_cookiecutter(out: Path) -> None:
    root = out / "cookiecutter"
    ctx: dict = {}
    for name, _kind, default, choices, _help in QUESTIONS:
        ctx[name] = choices if choices else default
    # A choice variable's default is its first entry: keep the same default as the others.
    ctx["tier"] = ["tier-2", "tier-1", "tier-3"]
    ctx["_copy_without_render"] = copy_only("cookiecutter")
    write(root / "cookiecutter.json", json.dumps(ctx, indent=2) + "\n", False)
    for path, content, render, executable in FILES:
        target = root / "{{cookiecutter.service_name}}" / for_tool(path, "cookiecutter")
        write(target, for_tool(content, "cookiecutter") if render else content, executable)


def gen_kickstart(out: Path) -> None:
    """kickstart takes its answers from a JSON file (`-i`), written beside the template."""
    root = out / "kickstart"
    lines = [
        f'name = "{TEMPLATE_NAME}"',
        'description = "Go HTTP service (benchmark template)"',
        "kickstart_version = 1",
        "copy_without_render = [" + ", ".join(json.dumps(p) for p in copy_only("kickstart")) + "]",
        "",
    ]
    for name, _kind, default, choices, help_ in QUESTIONS:
        lines += ["[[variables]]", f'name = "{name}"', f"default = {toml_value(default)}",
                  f"prompt = {json.dumps(help_)}"]
        if choices:
            lines.append("choices = [" + ", ".join(json.dumps(c) for c in choices) + "]")
        lines.append("")
    write(root / "template.toml", "\n".join(lines), False)
    answers = {k: int(v) if k == "port" else v for k, v in ANSWERS.items()}
    write(out / "kickstart-answers.json", json.dumps(answers, indent=2) + "\n", False)
    for path, content, render, executable in FILES:
        target = root / for_tool(path, "kickstart")  # beside template.toml, which is not copied
        write(target, for_tool(content, "kickstart") if render else content, executable)


def gen_cargo_generate(out: Path) -> None:
    """cargo-generate: Liquid, every file rendered except `[template] exclude`; answers with
    --define. Its own `project-name` is given with --name and is not used by the files."""
    root = out / "cargo-generate"
    lines = [
        "[template]",
        'cargo_generate_version = ">=0.23"',
        "exclude = [" + ", ".join(json.dumps(p) for p in copy_only("cargo-generate")) + "]",
        "",
    ]
    for name, kind, default, choices, help_ in QUESTIONS:
        lines += [f"[placeholders.{name}]", f'type = "{"bool" if kind == "bool" else "string"}"',
                  f"prompt = {json.dumps(help_)}",
                  f"default = {toml_value(default if kind != 'int' else str(default))}"]
        if choices:
            lines.append("choices = [" + ", ".join(json.dumps(c) for c in choices) + "]")
        lines.append("")
    write(root / "cargo-generate.toml", "\n".join(lines), False)
    for path, content, render, executable in FILES:
        target = root / for_tool(path, "cargo-generate")
        write(target, for_tool(content, "cargo-generate") if render else content, executable)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    for sub in ("pave-catalog", "copier", "cookiecutter", "kickstart", "cargo-generate"):
        shutil.rmtree(out / sub, ignore_errors=True)
    gen_pave(out)
    gen_copier(out)
    gen_cookiecutter(out)
    gen_kickstart(out)
    gen_cargo_generate(out)
    rendered = sum(1 for f in FILES if f[2])
    print(f"{len(FILES)} files ({rendered} rendered, {len(FILES) - rendered} copied), "
          f"{len(QUESTIONS)} questions -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
