// Package httpapi is a driving adapter: JSON over HTTP onto ports.NoteService.
package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"${{ values.name }}/internal/domain"
	"${{ values.name }}/internal/ports"
)

// NewHandler routes the API and the probes Kubernetes calls.
func NewHandler(notes ports.NoteService) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /notes", func(w http.ResponseWriter, r *http.Request) {
		all, err := notes.List(r.Context())
		respond(w, all, err, http.StatusOK)
	})
	mux.HandleFunc("GET /notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		note, err := notes.Get(r.Context(), r.PathValue("id"))
		respond(w, note, err, http.StatusOK)
	})
	mux.HandleFunc("POST /notes", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Text string `json:"text"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "body must be JSON with a text field", http.StatusBadRequest)
			return
		}
		note, err := notes.Create(r.Context(), body.Text)
		respond(w, note, err, http.StatusCreated)
	})
	return mux
}

func respond(w http.ResponseWriter, body any, err error, status int) {
	switch {
	case errors.Is(err, domain.ErrNotFound):
		http.Error(w, err.Error(), http.StatusNotFound)
	case errors.Is(err, domain.ErrEmptyNote), errors.Is(err, domain.ErrNoteTooLong):
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
	case err != nil:
		http.Error(w, "internal error", http.StatusInternalServerError)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
}
