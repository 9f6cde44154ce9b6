package com.acme.payments.web;

import com.acme.payments.exception.BusinessRuleException;
import com.acme.payments.exception.ConflictException;
import com.acme.payments.exception.ResourceNotFoundException;
import com.acme.payments.web.dto.ErrorResponse;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Maps exceptions to the documented error body and status codes.
 */
@RestControllerAdvice
public class ApiExceptionHandler {

    private final Clock clock;

    public ApiExceptionHandler(Clock clock) {
        this.clock = clock;
    }

    /** 400 with one problem per invalid field. */
    @ExceptionHandler(MethodArgumentNotValidException.class)
    public ResponseEntity<ErrorResponse> invalidRequest(MethodArgumentNotValidException e,
                                                        HttpServletRequest request) {
        List<ErrorResponse.FieldProblem> problems = e.getBindingResult().getFieldErrors().stream()
                .map(error -> new ErrorResponse.FieldProblem(error.getField(), error.getDefaultMessage()))
                .toList();
        return error(HttpStatus.BAD_REQUEST, "VALIDATION_FAILED", "request body is invalid", request, problems);
    }

    /** 404 for unknown accounts, payees and standing orders. */
    @ExceptionHandler(ResourceNotFoundException.class)
    public ResponseEntity<ErrorResponse> notFound(ResourceNotFoundException e, HttpServletRequest request) {
        String code = e.getResource().toUpperCase().replace(' ', '_') + "_NOT_FOUND";
        return error(HttpStatus.NOT_FOUND, code, e.getMessage(), request, List.of());
    }

    /** 409 when the request clashes with the resource's state. */
    @ExceptionHandler(ConflictException.class)
    public ResponseEntity<ErrorResponse> conflict(ConflictException e, HttpServletRequest request) {
        return error(HttpStatus.CONFLICT, e.getCode(), e.getMessage(), request, List.of());
    }

    /** 422 when a well-formed request breaks a business rule. */
    @ExceptionHandler(BusinessRuleException.class)
    public ResponseEntity<ErrorResponse> businessRule(BusinessRuleException e, HttpServletRequest request) {
        return error(HttpStatus.UNPROCESSABLE_ENTITY, e.getCode(), e.getMessage(), request, List.of());
    }

    private ResponseEntity<ErrorResponse> error(HttpStatus status, String code, String message,
                                                HttpServletRequest request,
                                                List<ErrorResponse.FieldProblem> problems) {
        ErrorResponse body = new ErrorResponse(status.value(), code, message,
                request.getRequestURI(), Instant.now(clock), problems);
        return ResponseEntity.status(status).body(body);
    }
}
