package com.acme.payments.service;

import com.acme.payments.domain.NewsPost;

import java.util.List;

/**
 * The bank's news posts: drafts, edits, publication and removal.
 */
public interface NewsPostService {

    /** Saves a new draft post. */
    NewsPost create(String title, String body);

    /** One post by its id. */
    NewsPost get(Long id);

    /** Every published post, newest first. */
    List<NewsPost> listPublished();

    /** Changes the title and body of a draft. */
    NewsPost edit(Long id, String title, String body);

    /** Publishes a draft now. */
    NewsPost publish(Long id);

    /** Deletes a post. */
    void delete(Long id);
}
