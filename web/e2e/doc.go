// Package e2e holds the dashboard's end-to-end test: it builds a small
// synthetic store, serves the API and the embedded dashboard on loopback
// and drives headless Chromium through every page (see e2e_test.go and
// docs/dashboard.md). The package has no exported API.
package e2e
