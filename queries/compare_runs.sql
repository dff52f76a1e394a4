-- `pare compare RUN RUN …`: the runs' own rows; :ids is a JSON array of run ids.
SELECT id, name, method, status FROM runs WHERE id IN (SELECT value FROM json_each(:ids))
