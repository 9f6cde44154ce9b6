package com.acme.payments.web.dto;

import java.time.Instant;
import java.util.List;

/**
 * The error body every endpoint returns for 4xx responses.
 */
public record ErrorResponse(int status, String code, String message, String path,
                            Instant timestamp, List<FieldProblem> problems) {

    /** One invalid request field. */
    public record FieldProblem(String field, String message) {
    }
}
