//! Each source's features on small inputs written here, and bad input: every error names
//! the file and the line, every soft problem is a warning with a code, nothing panics.

use std::path::{Path, PathBuf};

use crate::util::{Output, blast_in, run};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

fn blast(dir: &Path, args: &[&str]) -> Output {
    run(blast_in(dir), args)
}

/// `from -> to kind` lines of `blast graph --format json`, sorted.
fn edges(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut a = vec!["graph", "--format", "json"];
    a.extend_from_slice(args);
    let out = blast(dir, &a);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let mut e: Vec<String> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} -> {} {}",
                e["from"].as_str().unwrap(),
                e["to"].as_str().unwrap(),
                e["kind"].as_str().unwrap()
            )
        })
        .collect();
    e.sort();
    e
}

#[test]
fn compose_features() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(
        d,
        ".env",
        "API_PORT=8080\nAPI_HOST=api\nexport DB_URL=\"postgres://app:secret@db:5432/app\"\n",
    );
    write(
        d,
        "base.yaml",
        "services:\n  common:\n    environment:\n      TRACES: http://collector:4317\n",
    );
    write(
        d,
        "compose.yaml",
        r#"x-env: &env
  LOG: info
services:
  web:
    image: ${REGISTRY:-docker.io/}shop/web:${TAG-latest}
    extends: { file: base.yaml, service: common }
    environment:
      <<: *env
      API: http://${API_HOST}:${API_PORT}/v1
      PRICE: "$$5"
    command: ["--upstream", "search:9200"]
    depends_on:
      api: { condition: service_healthy }
      gone: { condition: service_started, required: false }
  api:
    image: shop/api
    env_file: [api.env, { path: missing.env, required: false }]
    environment:
      - DB_URL
    links: ["search:es"]
    profiles: [full]
  search:
    image: docker.elastic.co/elasticsearch/elasticsearch:8
  sidecar:
    image: envoyproxy/envoy
    network_mode: "service:web"
    volumes_from: ["api:ro"]
  collector:
    image: otel/opentelemetry-collector-contrib
  db:
    image: postgres:16
  bus:
    image: rabbitmq:3
"#,
    );
    write(d, "api.env", "BROKER=amqp://bus:5672\n");
    write(
        d,
        "compose.override.yaml",
        "services:\n  web:\n    command: [\"--upstream\", \"es:9200\"]\n    environment:\n      LOG: debug\n",
    );
    assert_eq!(
        edges(d, &["--compose", "compose.yaml"]),
        [
            "api -> bus async",
            "api -> db data",
            "api -> search startup",
            "sidecar -> api data",
            "sidecar -> web sync",
            "web -> api sync",
            "web -> collector telemetry",
            "web -> search data",
        ]
    );
    // The override replaces the command: `es` is api's link alias for search.
    assert_eq!(
        edges(
            d,
            &[
                "--compose",
                "compose.yaml",
                "--compose",
                "compose.override.yaml"
            ]
        ),
        [
            "api -> bus async",
            "api -> db data",
            "api -> search startup",
            "sidecar -> api data",
            "sidecar -> web sync",
            "web -> api sync",
            "web -> collector telemetry",
            "web -> search data",
        ]
    );
    // A profile filter drops `api` (and says that web's depends_on now points nowhere).
    let out = blast(
        d,
        &["graph", "--compose", "compose.yaml", "--profile", "other"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("web → api"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "compose.yaml:13: warning[unresolved-reference]: service 'web': depends_on names 'api', which the selected profiles exclude"
        ),
        "{}",
        out.stdout
    );
    // Evidence: interpolated, masked, with the file that held the value.
    let out = blast(d, &["graph", "--compose", "compose.yaml", "api", "web"]);
    for want in [
        "environment API=http://api:8080/v1; depends_on api (service_healthy)",
        "compose.yaml:19  environment DB_URL=postgres://app:***@db:5432/app (value from .env)",
        "env_file api.env: BROKER=amqp://bus:5672",
        "network_mode: service:web",
        "base.yaml:4      environment TRACES=http://collector:4317",
        "[profiles=full]",
    ] {
        assert!(
            out.stdout.contains(want),
            "missing {want:?} in\n{}",
            out.stdout
        );
    }
    assert!(!out.stdout.contains("secret"));
}

#[test]
fn compose_includes() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(
        d,
        "compose.yaml",
        "include:\n  - path: shared/db.yaml\n    env_file: shared/db.env\nservices:\n  app:\n    image: app\n    environment: [\"DATABASE_HOST=${DB_NAME:-pg}\"]\n",
    );
    write(d, "shared/db.env", "DB_IMAGE=postgres:16\n");
    write(
        d,
        "shared/db.yaml",
        "services:\n  pg:\n    image: ${DB_IMAGE}\n  app:\n    image: other\n    environment: [PG_HOST=pg]\n",
    );
    assert_eq!(edges(d, &["--compose", "compose.yaml"]), ["app -> pg data"]);
    let out = blast(d, &["check", "--compose", "compose.yaml"]);
    assert!(
        out.stdout.contains("warning[duplicate-object] compose.yaml:2: service 'app' is defined here and in the included file shared/db.yaml; keeping the definition here"),
        "{}",
        out.stdout
    );
    let out = blast(d, &["graph", "--compose", "compose.yaml", "pg"]);
    assert!(out.stdout.contains("  pg  datastore"), "{}", out.stdout);
}

#[test]
fn compose_bad_input() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let err = |args: &[&str]| {
        let out = blast(d, args);
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.is_empty());
        out.stderr
    };
    write(
        d,
        "syntax.yaml",
        "services:\n  web:\n    image: [unclosed\n",
    );
    let e = err(&["graph", "--compose", "syntax.yaml"]);
    assert!(e.starts_with("error: syntax.yaml:"), "{e}");
    write(
        d,
        "a.yaml",
        "include: [b.yaml]\nservices: {a: {image: a}}\n",
    );
    write(
        d,
        "b.yaml",
        "include:\n  - a.yaml\nservices: {b: {image: b}}\n",
    );
    let e = err(&["graph", "--compose", "a.yaml"]);
    assert!(
        e.contains("error: b.yaml:2: include cycle: a.yaml → b.yaml → a.yaml"),
        "{e}"
    );
    write(d, "c.yaml", "include: [nope/missing.yaml]\n");
    let e = err(&["graph", "--compose", "c.yaml"]);
    assert!(
        e.contains("error: c.yaml:1: cannot read 'nope/missing.yaml'"),
        "{e}"
    );
    write(
        d,
        "e.yaml",
        "services:\n  a:\n    extends: b\n  b:\n    extends: {service: a}\n",
    );
    let e = err(&["graph", "--compose", "e.yaml"]);
    assert!(
        e.contains("extends cycle: a (e.yaml) → b (e.yaml) → a (e.yaml)"),
        "{e}"
    );
    write(
        d,
        "f.yaml",
        "services:\n  a:\n    extends: {service: nope}\n",
    );
    let e = err(&["graph", "--compose", "f.yaml"]);
    assert!(
        e.contains("error: f.yaml:3: service 'a' extends 'nope', which f.yaml does not define"),
        "{e}"
    );
    std::fs::create_dir(d.join("p")).unwrap();
    write(d, "p/.env", "OK=1\nthis is not a variable\n");
    write(d, "p/compose.yaml", "services: {a: {image: a}}\n");
    let e = err(&["graph", "--compose", "p/compose.yaml"]);
    assert!(
        e.contains("error: p/.env:2:1: expected KEY=value, found 'this is not a variable'"),
        "{e}"
    );
    let e = err(&["graph", "--compose", "missing.yaml"]);
    assert!(e.contains("missing.yaml"), "{e}");
    // A dangling depends_on is a warning (exit 0), with the line.
    write(
        d,
        "g.yaml",
        "services:\n  a:\n    image: a\n    depends_on: [ghost]\n",
    );
    let out = blast(d, &["check", "--compose", "g.yaml"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains(
            "warning[unresolved-reference] g.yaml:4: service 'a': depends_on names 'ghost', which no Compose file defines"
        ),
        "{}",
        out.stdout
    );
    let out = blast(d, &["impact", "--compose", "g.yaml", "a"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains(
            "warning: loading the sources found 1 problem (run `blast check` to list it)"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn kubernetes_features_and_bad_input() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(
        d,
        "k/app.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data:
  CHECKOUT_URL: http://checkout.shop.svc.cluster.local:8080
  nginx.conf: |
    upstream api { server search.search:9200; }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: shop/web
          envFrom: [{configMapRef: {name: cfg}}]
          env:
            - {name: CART_HOST, value: cart}
            - {name: GONE, valueFrom: {configMapKeyRef: {name: nope, key: x}}}
          args: ["--db=$(DB)"]
      volumes: [{name: conf, configMap: {name: cfg}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cart, namespace: shop}
spec:
  template:
    metadata: {labels: {app: cart}}
    spec:
      containers: [{name: cart, image: shop/cart, env: [{name: DB, value: 'redis:6379'}]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: r, image: shop/report, command: [report, --server, checkout]}]
---
kind: List
apiVersion: v1
items:
  - apiVersion: v1
    kind: Service
    metadata: {name: cart, namespace: shop}
    spec: {selector: {app: cart}}
  - apiVersion: v1
    kind: Service
    metadata: {name: checkout, namespace: shop}
    spec: {selector: {app: checkout}}
"#,
    );
    write(
        d,
        "k/more.yml",
        r#"spec:
  template:
    metadata: {labels: {app: checkout}}
    spec: {containers: [{name: c, image: shop/checkout}]}
kind: Deployment
metadata: {name: checkout, namespace: shop}
apiVersion: apps/v1
---
apiVersion: v1
kind: Service
metadata: {name: search, namespace: search}
spec: {type: ExternalName, externalName: search.example.com}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: redis, namespace: shop}
spec:
  template:
    metadata: {labels: {app: redis}}
    spec: {containers: [{name: redis, image: "redis:7"}]}
---
apiVersion: v1
kind: Service
metadata: {name: redis, namespace: shop}
spec: {selector: {app: redis}}
"#,
    );
    assert_eq!(
        edges(d, &["--k8s", "k"]),
        [
            "cart -> redis data",
            "report -> checkout sync",
            "web -> cart sync",
            "web -> checkout sync",
            "web -> search sync",
        ]
    );
    let out = blast(d, &["graph", "--k8s", "k"]);
    assert!(
        out.stdout.contains("  search    external"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("envFrom ConfigMap cfg: CHECKOUT_URL=http://checkout.shop.svc.cluster.local:8080 (container web)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("ConfigMap cfg key nginx.conf (mounted), names search.search:9200"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("k/app.yaml:22: warning[unresolved-reference]: Deployment 'shop/web' reads a variable from ConfigMap 'nope', which no manifest defines"),
        "{}",
        out.stdout
    );
    // Bad input.
    write(
        d,
        "bad/x.yaml",
        "kind: Deployment\nmetadata: {name: a}\n---\nkind: Service\n  metadata: oops: [\n",
    );
    let out = blast(d, &["graph", "--k8s", "bad"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("error: bad/x.yaml:5:"),
        "{}",
        out.stderr
    );
    let out = blast(d, &["graph", "--k8s", "does-not-exist"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("does-not-exist"), "{}", out.stderr);
    std::fs::create_dir(d.join("empty")).unwrap();
    let out = blast(d, &["check", "--k8s", "empty"]);
    assert!(
        out.stdout
            .contains("warning[empty-source] empty: no workloads or Services in empty"),
        "{}",
        out.stdout
    );
}

/// A kustomize patch (a Deployment without containers, a Service without selector) never
/// replaces the full definition, whichever file comes first.
#[test]
fn k8s_partial_copy_never_replaces_the_full_one() {
    let base = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: shop/web, env: [{name: DB, value: "db:5432"}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {selector: {app: db}}
"#;
    let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 5\n---\napiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {ports: [{port: 5433}]}\n";
    // Base before overlay, then overlay before base.
    for (b, o) in [("base", "overlays"), ("x-base", "a-overlays")] {
        let d = tempfile::tempdir().unwrap();
        let d = d.path();
        write(d, &format!("k/{b}/all.yaml"), base);
        write(d, &format!("k/{o}/patch.yaml"), patch);
        assert_eq!(edges(d, &["--k8s", "k"]), ["web -> db data"], "{b} {o}");
        let out = blast(d, &["graph", "--k8s", "k"]);
        assert!(out.stdout.contains(&format!(
            "k/{o}/patch.yaml:2: warning[duplicate-object]: Deployment 'default/web' is also defined in k/{b}/all.yaml:2; using that definition: this one has no containers and looks like a kustomize patch\n  note: see also k/{b}/all.yaml:2\n  help: blast does not apply patches: point --k8s at the output of `kustomize build` (or leave the overlay folder out)\n"
        )), "{}", out.stdout);
        assert!(out.stdout.contains(&format!(
            "k/{o}/patch.yaml:8: warning[duplicate-object]: Service 'default/db' is also defined in k/{b}/all.yaml:20; using that definition: this one has no selector or externalName and looks like a kustomize patch\n"
        )), "{}", out.stdout);
        assert!(out.stdout.contains("  db   datastore"), "{}", out.stdout);
    }
    // Two full copies: the later one is used, as before.
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(d, "k/a.yaml", base);
    write(d, "k/b.yaml", &base.replace("db:5432", "cache:6379"));
    let out = blast(d, &["graph", "--k8s", "k"]);
    assert!(out.stdout.contains("k/b.yaml:2: warning[duplicate-object]: Deployment 'default/web' is also defined in k/a.yaml; using this later definition\n"), "{}", out.stdout);
}

/// A document that is not a mapping (a JSON 6902 patch, an Ansible playbook, a bare word)
/// is skipped with a warning; the rest of the folder is read.
#[test]
fn k8s_skips_documents_that_are_not_objects() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(
        d,
        "k/app.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: w, image: x, env: [{name: A, value: 'api:80'}]}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api, labels: {app: api}}\nspec: {containers: [{name: a, image: x}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {selector: {app: api}}\n",
    );
    write(
        d,
        "k/patches/replicas.yaml",
        "- op: replace\n  path: /spec/replicas\n  value: 3\n",
    );
    write(
        d,
        "k/playbook.yaml",
        "- hosts: all\n  tasks: []\n---\njust a word\n---\n42\n",
    );
    assert_eq!(edges(d, &["--k8s", "k"]), ["web -> api sync"]);
    let out = blast(d, &["graph", "--k8s", "k"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let warnings: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("warning["))
        .collect();
    assert_eq!(
        warnings,
        [
            "k/patches/replicas.yaml:1: warning[degraded-source]: skipped a document that is a list, not a Kubernetes object (a JSON 6902 patch or an Ansible playbook?)",
            "k/playbook.yaml:1: warning[degraded-source]: skipped a document that is a list, not a Kubernetes object (a JSON 6902 patch or an Ansible playbook?)",
            "k/playbook.yaml:4: warning[degraded-source]: skipped a document that is a string, not a Kubernetes object",
            "k/playbook.yaml:6: warning[degraded-source]: skipped a document that is a number, not a Kubernetes object",
        ],
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("  help: --k8s reads Kubernetes objects (mappings with `kind` and `metadata`): move other YAML out of the folder, or point --k8s at rendered output (`kustomize build`)\n"), "{}", out.stdout);
}

/// Unrendered Helm templates: objects whose name or selector is a template are skipped
/// with a warning, a folder's file that does not parse is skipped, a named one is an
/// error that says what to do; ConfigMap data may hold `{{ }}`.
#[test]
fn k8s_unrendered_helm_templates() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(
        d,
        "chart/templates/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include \"chart.fullname\" . }}\nspec:\n  selector: {app: web}\n",
    );
    write(
        d,
        "chart/templates/all.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: "{{ .Release.Name }}-web"
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: x}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: "{{ .Values.app }}"}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: "{{ .Release.Name }}-sa"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: prom}
data:
  alert.tmpl: '{{ define "x" }}db:5432{{ end }}'
---
apiVersion: v1
kind: Pod
metadata: {name: alerter}
spec:
  containers: [{name: p, image: x}]
  volumes: [{name: c, configMap: {name: prom}}]
---
apiVersion: v1
kind: Pod
metadata: {name: db, labels: {app: db}}
spec: {containers: [{name: d, image: x}]}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {selector: {app: db}}
"#,
    );
    assert_eq!(edges(d, &["--k8s", "chart"]), ["alerter -> db data"]);
    let out = blast(d, &["graph", "--k8s", "chart"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let warnings: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("warning[") || l.contains("help:"))
        .collect();
    assert_eq!(
        warnings,
        [
            "chart/templates/all.yaml:2: warning[degraded-source]: skipped Deployment with metadata.name `{{ .Release.Name }}-web`: an unrendered Helm template",
            "  help: run `helm template` and point --k8s at its output",
            "chart/templates/all.yaml:11: warning[degraded-source]: skipped Service with selector app `{{ .Values.app }}`: an unrendered Helm template",
            "  help: run `helm template` and point --k8s at its output",
            "chart/templates/service.yaml:4:9: warning[degraded-source]: skipped: an unrendered Helm template (the file holds `{{ }}` and does not parse: expected text, not a list or a table)",
            "  help: run `helm template` and point --k8s at its output",
        ],
        "{}",
        out.stdout
    );
    // Named on the command line, the file that does not parse is an error, with help.
    let out = blast(d, &["graph", "--k8s", "chart/templates/service.yaml"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: chart/templates/service.yaml:4:9: expected text, not a list or a table\n  help: the file holds `{{ }}`: it looks like an unrendered Helm template; run `helm template` and point --k8s at its output\n"
    );
}

/// A Job or Pod with only `generateName: db-migrate-` is named `db-migrate`.
#[test]
fn k8s_generate_name_names_the_workload() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(
        d,
        "job.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: db-migrate-}\nspec:\n  template:\n    spec: {containers: [{name: m, image: x, env: [{name: DB, value: 'db:5432'}]}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, labels: {app: db}}\nspec: {containers: [{name: d, image: postgres}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {selector: {app: db}}\n",
    );
    assert_eq!(edges(d, &["--k8s", "job.yaml"]), ["db-migrate -> db data"]);
    // Neither a name nor a usable prefix: still an error.
    write(
        d,
        "bad.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: '-'}\n",
    );
    let out = blast(d, &["graph", "--k8s", "bad.yaml"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: bad.yaml:2: Job has no metadata.name\n  help: give it a name (metadata: {name: my-service}) or a generateName; blast reads manifests as they are applied, not templates\n"
    );
}

/// `kustomize build` and `helm template` output holds thousands of documents: the YAML
/// reader's document budget grows with the file (it stopped at 1,024).
#[test]
fn k8s_reads_a_file_of_many_documents() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let docs: Vec<String> = (0..1500)
        .map(|i| format!("apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\nspec: {{ports: [{{port: 80}}]}}"))
        .collect();
    write(d, "all.yaml", &docs.join("\n---\n"));
    let out = blast(d, &["graph", "--k8s", "all.yaml", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["nodes"].as_array().unwrap().len(), 1500);
}

#[test]
fn backstage_features_and_bad_input() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(
        d,
        "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: root}\nspec:\n  targets: [./teams/*.yaml, ./missing.yaml, 'https://example.com/catalog.yaml', ./catalog-info.yaml]\n",
    );
    write(
        d,
        "teams/shop.yaml",
        r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Web
  annotations:
    blast-radius/tier: "0"
spec:
  type: website
  owner: group:default/web-team
  consumesApis: [orders-api]
  dependsOn: [component:default/auth, 'resource:orders-db', 'ghost']
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: orders, namespace: sales, annotations: {blast-radius/customer-facing: "false"}}
spec: {type: service, owner: user:sales/ann, providesApis: [default/orders-api]}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: orders-api}
spec: {type: openapi, owner: web-team}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: auth}
spec: {type: service, owner: web-team, dependencyOf: [component:billing]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: billing}
spec: {type: service, owner: web-team}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: orders-db}
spec: {type: database, owner: web-team}
"#,
    );
    assert_eq!(
        edges(d, &["--backstage", "catalog-info.yaml"]),
        [
            "Web -> auth sync",
            "Web -> orders-db data",
            "Web -> sales/orders sync",
            "billing -> auth sync",
        ]
    );
    let out = blast(d, &["graph", "--backstage", "catalog-info.yaml"]);
    assert!(
        out.stdout
            .contains("  Web           service    0     yes              web-team"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  sales/orders  service    -     no               user:sales/ann"),
        "{}",
        out.stdout
    );
    for w in [
        "catalog-info.yaml:5: warning[unresolved-reference]: location target './missing.yaml' names no readable file (missing.yaml)",
        "catalog-info.yaml:5: warning[degraded-source]: location target 'https://example.com/catalog.yaml' is a URL; blast reads only local files",
        "teams/shop.yaml:11: warning[unresolved-reference]: component 'Web': spec.dependsOn 'ghost', which no loaded catalog file defines",
    ] {
        assert!(out.stdout.contains(w), "missing {w:?} in\n{}", out.stdout);
    }
    write(d, "syntax.yaml", "kind: Component\nmetadata: {name: x\n");
    let out = blast(d, &["graph", "--backstage", "syntax.yaml"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("error: syntax.yaml:"),
        "{}",
        out.stderr
    );
    write(
        d,
        "bad.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x, annotations: {blast-radius/tier: high}}\nspec: {type: service}\n",
    );
    let out = blast(d, &["graph", "--backstage", "bad.yaml"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            "error: bad.yaml:3: component 'x': annotation 'blast-radius/tier' is 'high', not a tier"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn traces_in_both_shapes_and_bad_input() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(
        d,
        "jaeger.json",
        r#"{"data":[{"parent":"a","child":"b","callCount":3},{"parent":"a","child":"b","callCount":4},{"parent":"a","child":"a","callCount":9},{"parent":"b","child":"c","callCount":1}],"errors":null}"#,
    );
    write(
        d,
        "zipkin.json",
        // With a byte-order mark, as Windows editors save it.
        "\u{feff}[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":7,\"errorCount\":2}]",
    );
    let out = blast(d, &["graph", "--jaeger", "jaeger.json", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["edges"][0]["provenance"][0],
        serde_json::json!({"source": "jaeger", "file": "jaeger.json", "evidence": "observed in traces", "attributes": {"calls": 7}})
    );
    assert_eq!(v["edges"].as_array().unwrap().len(), 2);
    let out = blast(d, &["graph", "--jaeger", "zipkin.json", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["edges"][0]["provenance"][0]["attributes"],
        serde_json::json!({"calls": 7, "errors": 2})
    );
    // min_calls, from blast.toml.
    write(
        d,
        "blast.toml",
        "[[source]]\nkind = \"jaeger\"\npath = \"jaeger.json\"\nmin_calls = 2\n",
    );
    assert_eq!(edges(d, &[]), ["a -> b sync"]);
    write(d, "bad.json", "{\"data\": [{\"parent\": \"a\"}]}");
    let out = blast(d, &["graph", "--jaeger", "bad.json"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("error: bad.json:1:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("missing field `child`"),
        "{}",
        out.stderr
    );
    write(
        d,
        "failed.json",
        r#"{"data":null,"errors":[{"code":500,"msg":"storage unavailable"}]}"#,
    );
    let out = blast(d, &["graph", "--jaeger", "failed.json"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("error: failed.json: the trace query failed: storage unavailable (code 500)"),
        "{}",
        out.stderr
    );
    // An empty id is blank, like "  " (it was dropped, and the file then said it held
    // no links).
    for (name, parent, child) in [
        ("empty.json", "", "b"),
        ("spaces.json", "  ", "b"),
        ("both.json", "", ""),
    ] {
        write(
            d,
            name,
            &format!(r#"{{"data":[{{"parent":"{parent}","child":"{child}","callCount":3}}]}}"#),
        );
        let out = blast(d, &["graph", "--jaeger", name]);
        assert_eq!(out.code, 2, "{name}");
        assert_eq!(
            out.stderr,
            format!(
                "error: the graph has 1 error:\n{name}:1:20: error[blank-id]: the node id '{parent}' is blank\n  help: give the node a name, or fix the reference that names it\n"
            )
        );
    }
}

#[test]
fn drift_both_ways() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(
        d,
        "compose.yaml",
        "services:\n  web:\n    image: web\n    environment: {API_URL: 'http://api:80', SEARCH_HOST: search}\n    depends_on: [cache]\n  api: {image: api}\n  search: {image: search}\n  cache: {image: cache}\n",
    );
    write(
        d,
        "traces.json",
        r#"[{"parent":"web","child":"api","callCount":10},{"parent":"web","child":"cache","callCount":5},{"parent":"api","child":"payments","callCount":2}]"#,
    );
    let out = blast(
        d,
        &[
            "check",
            "--compose",
            "compose.yaml",
            "--jaeger",
            "traces.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let drift: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().unwrap().ends_with("-dependency"))
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["location"].to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        drift,
        [
            (
                "undeclared-dependency".to_string(),
                r#"{"file":"traces.json"}"#.to_string(),
                "traces show 'api' calling 'payments' (2 calls), but no declared source has that dependency".to_string()
            ),
            (
                "undeclared-dependency".to_string(),
                r#"{"file":"traces.json"}"#.to_string(),
                "traces show 'web' calling 'cache' (5 calls), but the declared sources have it only as startup, compose: depends_on cache".to_string()
            ),
            (
                "unobserved-dependency".to_string(),
                r#"{"file":"compose.yaml","line":4}"#.to_string(),
                "'web' depends on 'search' (sync, compose: environment SEARCH_HOST=search), but the traces never show 'web' calling 'search'".to_string()
            ),
        ]
    );
}
