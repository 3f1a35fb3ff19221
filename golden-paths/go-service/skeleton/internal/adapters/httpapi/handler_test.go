package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"${{ values.name }}/internal/adapters/memory"
	"${{ values.name }}/internal/app"
)

func serve(t *testing.T, handler http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, httptest.NewRequest(method, path, strings.NewReader(body)))
	return recorder
}

func TestNotesOverHTTP(t *testing.T) {
	handler := NewHandler(app.NewNotes(memory.NewRepository()))
	if got := serve(t, handler, "POST", "/notes", `{"text":"hello"}`); got.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", got.Code, got.Body)
	}
	got := serve(t, handler, "GET", "/notes/1", "")
	if got.Code != http.StatusOK || !strings.Contains(got.Body.String(), `"text":"hello"`) {
		t.Fatalf("get: %d %s", got.Code, got.Body)
	}
	if got := serve(t, handler, "GET", "/notes/9", ""); got.Code != http.StatusNotFound {
		t.Fatalf("missing: %d", got.Code)
	}
	if got := serve(t, handler, "POST", "/notes", `{"text":""}`); got.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid: %d", got.Code)
	}
	if got := serve(t, handler, "GET", "/healthz", ""); got.Code != http.StatusOK {
		t.Fatalf("healthz: %d", got.Code)
	}
}
