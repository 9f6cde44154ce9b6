package com.acme.payments.web.dto;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/**
 * Body of the endpoints that rename an account or a payee.
 */
public record RenameRequest(@NotBlank @Size(max = 70) String name) {
}
