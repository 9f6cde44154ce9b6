package com.acme.payments.web.dto;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * Body of {@code POST /accounts/{accountId}/payees}.
 */
public record CreatePayeeRequest(
        @NotBlank @Size(max = 70) String name,
        @NotBlank @Pattern(regexp = "\\d{2}-?\\d{2}-?\\d{2}") String sortCode,
        @NotBlank @Pattern(regexp = "\\d{8}") String accountNumber,
        @Size(max = 18) String reference) {
}
