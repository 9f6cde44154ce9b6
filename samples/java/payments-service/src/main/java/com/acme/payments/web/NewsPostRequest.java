package com.acme.payments.web;

import jakarta.validation.constraints.NotBlank;

/**
 * The title and body of a news post, as a client sends them.
 */
public record NewsPostRequest(@NotBlank String title, @NotBlank String body) {
}
