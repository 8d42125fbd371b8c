def test_admin_login_page_renders(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b"Username" in response.content


def test_catalogue_factory_builds_full_matrix(catalogue):
    assert catalogue.matrix_cells.count() == 25
    assert catalogue.categories.count() == 3
